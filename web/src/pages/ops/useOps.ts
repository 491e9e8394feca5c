// What the operations pages share: a (paged) list with its loading flag and problem, an action
// that reports its outcome and reloads, and a form's errors shown at their fields.
import { ref, type Ref } from "vue";
import { ElMessage } from "element-plus";
import { ApiError, message } from "../../api";

export interface Paging {
  limit: number;
  offset: number;
}

/** A list fetched a page at a time: `load()` fetches page `pageNo`; a failure is `problem`. */
export function usePagedList<T>(
  fetchPage: (paging: Paging) => Promise<{ items: T[]; total: number }>,
  pageSize = 50,
) {
  const rows = ref([]) as Ref<T[]>;
  const total = ref(0);
  const pageNo = ref(1);
  const loading = ref(false);
  const problem = ref("");

  async function load(): Promise<void> {
    loading.value = true;
    problem.value = "";
    try {
      const page = await fetchPage({ limit: pageSize, offset: (pageNo.value - 1) * pageSize });
      rows.value = page.items;
      total.value = page.total;
    } catch (e) {
      problem.value = message(e);
    } finally {
      loading.value = false;
    }
  }

  return { rows, total, pageNo, pageSize, loading, problem, load };
}

/** Run an action on a row: its success or the service's message, then the list again. */
export async function act(run: () => Promise<unknown>, done: string, reload: () => Promise<void>): Promise<void> {
  try {
    await run();
    ElMessage.success(done);
  } catch (e) {
    ElMessage.error(message(e));
  }
  await reload();
}

/** A form's errors: the service's detail under "_", each field's message at its field. */
export function useFieldErrors() {
  const fieldErrors = ref<Record<string, string>>({});
  function show(e: unknown): void {
    fieldErrors.value = e instanceof ApiError ? { _: e.detail, ...e.byField() } : { _: String(e) };
  }
  function clear(): void {
    fieldErrors.value = {};
  }
  return { fieldErrors, show, clear };
}
