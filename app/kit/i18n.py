"""One language at a time (一种语言): the request's language and the server's messages in it.

The machine-readable parts of an error (`code`, `field`, `type`) never change; only the
human-readable `message` of each field error follows the request's `Accept-Language`:
`zh*` → Chinese, `en*` → English, no header (or another language) → the message as written
(English). A field error that can be translated carries its translations under the private key
`_messages` ({"zh-CN": …, "en": …}); the central error handler picks one and drops the key.
"""

from typing import Any

LANGS = ("zh-CN", "en")
MESSAGES_KEY = "_messages"


def lang_of(accept_language: str | None) -> str | None:
    """The first supported language in an Accept-Language header (`zh-CN` or `en`), or None."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return None


def localize(errors: list[dict[str, Any]], lang: str | None) -> list[dict[str, Any]]:
    """Each error with its message in `lang` (when it carries translations); the private
    translations dropped in any case."""
    out = []
    for error in errors:
        if not isinstance(error, dict) or MESSAGES_KEY not in error:
            out.append(error)
            continue
        error = dict(error)
        messages = error.pop(MESSAGES_KEY)
        if lang is not None and isinstance(messages, dict) and messages.get(lang):
            error["message"] = messages[lang]
        out.append(error)
    return out


def _limit(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


_TYPES_ZH = {
    "string": "文字",
    "integer": "整数",
    "number": "数字",
    "boolean": "是或否",
    "object": "一组字段",
    "array": "列表",
    "null": "空值",
}
_FORMATS_ZH = {"date": "日期（如 2026-01-31）", "date-time": "日期时间", "email": "电子邮箱地址"}


def _zh_type(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return "或".join(_TYPES_ZH.get(str(n), str(n)) for n in names)


def _declared_title(schema: Any, name: str) -> str | None:
    declared = (schema.get("properties") or {}).get(name) if isinstance(schema, dict) else None
    title = declared.get("title") if isinstance(declared, dict) else None
    return str(title) if title else None


# The rules whose message is the field's label and the rule's value: (Chinese, English).
_RULES = {
    "minLength": ("{label}至少 {limit} 个字", "{label} needs at least {limit} characters"),
    "maxLength": ("{label}最多 {limit} 个字", "{label} allows at most {limit} characters"),
    "pattern": ("{label}格式不正确", "{label} does not match the required pattern"),
    "minimum": ("{label}不能小于 {limit}", "{label} must be at least {limit}"),
    "maximum": ("{label}不能大于 {limit}", "{label} must be at most {limit}"),
    "exclusiveMinimum": ("{label}必须大于 {limit}", "{label} must be greater than {limit}"),
    "exclusiveMaximum": ("{label}必须小于 {limit}", "{label} must be less than {limit}"),
    "minItems": ("{label}至少 {limit} 项", "{label} needs at least {limit} items"),
    "maxItems": ("{label}最多 {limit} 项", "{label} allows at most {limit} items"),
    "uniqueItems": ("{label}不能有重复项", "{label} has repeated items"),
    "additionalProperties": (
        "{label}含有表单未定义的字段",
        "{label} has fields the form does not define",
    ),
}


def schema_messages(error: Any, field: str | None, root: Any = None) -> dict[str, str]:
    """A jsonschema ValidationError in Chinese and English, naming the field by its form title
    (the property's `title`, also when the rule sits in a sub-schema) and else by its name."""
    rule, limit = error.validator, error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}
    name = field.rsplit("/", 1)[-1] if field else ""
    if rule == "required":
        title = _declared_title(schema, name) or _declared_title(root, name)
    else:
        title = schema.get("title") or _declared_title(root, name)
    label_zh = f"「{title or name}」" if (title or name) else "该项"
    label_en = f"'{name}'" if name else "the value"
    zh: str
    en: str
    if rule == "required":
        zh, en = f"{label_zh}为必填项", f"{label_en} is required"
    elif rule == "type":
        zh = f"{label_zh}应为{_zh_type(limit)}"
        en = f"{label_en} must be of type {'/'.join(limit) if isinstance(limit, list) else limit}"
    elif rule in ("enum", "const"):
        options = limit if isinstance(limit, list) else [limit]
        shown = "、".join(_limit(o) for o in options)
        zh = f"{label_zh}只能取以下值之一：{shown}"
        en = f"{label_en} must be one of: {', '.join(_limit(o) for o in options)}"
    elif rule == "format":
        zh = f"{label_zh}格式不正确，应为{_FORMATS_ZH.get(str(limit), str(limit))}"
        en = f"{label_en} is not a valid {limit}"
    elif rule in _RULES:
        zh_form, en_form = _RULES[rule]
        zh = zh_form.format(label=label_zh, limit=limit)
        en = en_form.format(label=label_en, limit=limit)
    else:
        zh, en = f"{label_zh}不符合表单要求", f"{label_en} breaks the form's rule '{rule}'"
    return {"zh-CN": zh, "en": en}


# Pydantic's error types (request bodies and queries) → Chinese; English keeps pydantic's text.
_PYDANTIC_ZH = {
    "missing": "{label}为必填项",
    "string_too_short": "{label}太短",
    "string_too_long": "{label}太长",
    "string_type": "{label}应为文字",
    "int_parsing": "{label}应为整数",
    "int_type": "{label}应为整数",
    "float_parsing": "{label}应为数字",
    "bool_parsing": "{label}应为是或否",
    "date_from_datetime_parsing": "{label}应为日期（如 2026-01-31）",
    "date_parsing": "{label}应为日期（如 2026-01-31）",
    "datetime_parsing": "{label}应为日期时间",
    "datetime_from_date_parsing": "{label}应为日期时间",
    "uuid_parsing": "{label}不是有效的标识",
    "literal_error": "{label}的取值不在允许范围内",
    "enum": "{label}的取值不在允许范围内",
    "greater_than_equal": "{label}太小",
    "less_than_equal": "{label}太大",
    "greater_than": "{label}太小",
    "less_than": "{label}太大",
    "too_short": "{label}项数太少",
    "too_long": "{label}项数太多",
    "extra_forbidden": "{label}不是可接受的字段",
    "json_invalid": "请求内容不是有效的 JSON",
    "value_error": "{label}的取值无效",
    "list_type": "{label}应为列表",
    "dict_type": "{label}应为一组字段",
    "model_type": "{label}应为一组字段",
}


def pydantic_messages(kind: str | None, field: str, message: str) -> dict[str, str]:
    """A request-validation error in Chinese and English (English: pydantic's own text)."""
    name = field.rsplit(".", 1)[-1] if field else ""
    label = f"「{name}」" if name and name not in ("body", "query") else "请求"
    template = _PYDANTIC_ZH.get(kind or "", "{label}的取值无效")
    return {"zh-CN": template.format(label=label), "en": message}


# Common refusals' `detail` in Chinese (the rest stay as written; `code` says what happened).
DETAILS_ZH = {
    "submitted data is invalid": "提交的内容有误，请按各项提示修改",
    "request is invalid": "请求有误，请按各项提示修改",
    "the change of variables is refused: nothing was changed": "变量修改被拒绝，未作任何更改",
}


def localize_detail(detail: str, lang: str | None) -> str:
    """A refusal's detail in `lang` when a translation is known."""
    if lang == "zh-CN":
        return DETAILS_ZH.get(detail, detail)
    return detail
