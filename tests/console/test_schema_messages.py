"""Form (JSON Schema) refusals in Chinese and English: every rule names the field by its form
title in Chinese and by its name in English, with the rule's value."""

import pytest
from jsonschema import Draft202012Validator

from app.kit.i18n import schema_messages

CASES = [
    ({"type": "string", "minLength": 3}, "ab", "至少 3 个字", "needs at least 3 characters"),
    ({"type": "string", "maxLength": 2}, "abc", "最多 2 个字", "at most 2 characters"),
    ({"type": "string", "pattern": "^[0-9]+$"}, "x", "格式不正确", "does not match"),
    ({"type": "integer", "minimum": 1}, 0, "不能小于 1", "must be at least 1"),
    ({"type": "integer", "maximum": 365}, 366, "不能大于 365", "must be at most 365"),
    ({"type": "integer", "exclusiveMinimum": 0}, 0, "必须大于 0", "greater than 0"),
    ({"type": "integer", "exclusiveMaximum": 9}, 9, "必须小于 9", "less than 9"),
    ({"type": "array", "minItems": 1}, [], "至少 1 项", "at least 1 items"),
    ({"type": "array", "maxItems": 1}, [1, 2], "最多 1 项", "at most 1 items"),
    ({"type": "array", "uniqueItems": True}, [1, 1], "不能有重复项", "repeated items"),
    ({"enum": ["sign", "return"]}, "x", "只能取以下值之一", "must be one of"),
    ({"type": "integer"}, "x", "应为", "must be of type integer"),
]


@pytest.mark.parametrize(("rule", "value", "zh", "en"), CASES)
def test_each_rule_reads_in_both_languages_naming_the_field(rule, value, zh, en):
    schema = {
        "type": "object",
        "properties": {"days": {"title": "办理天数", **rule}},
    }
    (error,) = Draft202012Validator(schema).iter_errors({"days": value})
    messages = schema_messages(error, "days", schema)
    assert messages["zh-CN"].startswith("「办理天数」") and zh in messages["zh-CN"]
    assert messages["en"].startswith("'days'") and en in messages["en"]


def test_a_missing_field_is_named_by_its_title():
    schema = {
        "type": "object",
        "properties": {"reason": {"title": "退回理由", "type": "string"}},
        "required": ["reason"],
    }
    (error,) = Draft202012Validator(schema).iter_errors({})
    assert schema_messages(error, "reason", schema) == {
        "zh-CN": "「退回理由」为必填项",
        "en": "'reason' is required",
    }
