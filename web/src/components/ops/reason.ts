// Every repair asks before it acts: a confirmation that is also where the operator writes the
// reason (or note) the service requires and audits. Null when the operator cancels.
import { ElMessageBox } from "element-plus";
import { i18n } from "../../i18n";

export interface AskReason {
  title: string;
  /** What is about to happen, in words: shown above the field. */
  summary: string;
  /** The field's label: 原因 by default, 说明 for a note. */
  label?: string;
  /** The service's limit (reasons 500, notes 2,000 characters). */
  maxLength?: number;
  confirm?: string;
  danger?: boolean;
}

/** The reason typed, trimmed; null when cancelled. */
export async function askReason(ask: AskReason): Promise<string | null> {
  const t = i18n.global.t;
  const max = ask.maxLength ?? 500;
  try {
    const { value } = await ElMessageBox.prompt(ask.summary, ask.title, {
      inputPlaceholder: ask.label ?? t("repair.reason"),
      inputType: "textarea",
      inputValidator: (text: string) => {
        const length = text.trim().length;
        if (length < 2) return t("repair.reasonRequired");
        return length > max ? t("repair.reasonTooLong", { n: max }) : true;
      },
      confirmButtonText: ask.confirm ?? t("repair.confirm"),
      cancelButtonText: t("common.cancel"),
      type: ask.danger ? "warning" : "info",
      customClass: "repair-confirm",
      closeOnClickModal: false,
    });
    return value.trim();
  } catch {
    return null; // cancelled or closed
  }
}
