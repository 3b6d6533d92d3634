"""Labels, annotations and label selectors, as 1.20 validates them on every object (ValidateObjectMeta).

Label keys and annotation keys are qualified names (`example.com/MyName`),
label values at most 63 characters of a restricted set, annotations 256 kB in
all; a label selector's matchLabels are labels and its requirements name a
qualified key. The messages are apimachinery's, so `kubectl label pod web-0
'bad key!=x'` reads as on a real cluster. The StatefulSet template's labels
(`spec.template.labels`) and the `controller-revision-hash` label of a set
named past 52 characters are refused through the same checks.
"""

from __future__ import annotations

import json
import re

Cause = tuple[str, str, str]  # field, reason, message

QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = f"({QUALIFIED_NAME_FMT})?"
DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
# fullmatch throughout: Go's ^...$ (Python's $ would take a final newline).
_QUALIFIED_NAME = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(LABEL_VALUE_FMT)
_SUBDOMAIN = re.compile(DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
_TOTAL_ANNOTATION_SIZE = 256 * (1 << 10)


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """RegexError: its examples joined as Go joins them (`'a',  or 'b', `, with the doubled space)."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def unsupported(path: str, value: object, supported: tuple[str, ...]) -> Cause:
    """field.NotSupported, its values listed as given (upstream passes them sorted)."""
    listed = ", ".join(f'"{v}"' for v in supported)
    return (path, "FieldValueNotSupported", f'Unsupported value: "{value}": supported values: {listed}')


def go_strings(values: list) -> str:
    """A []string as %#v prints it: `[]string{"a", "b"}`, or `[]string(nil)` for none."""
    return "[]string{" + ", ".join(f'"{v}"' for v in values) + "}" if values else "[]string(nil)"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def _subdomain_errors(value: str) -> list[str]:
    errors = [max_len_error(253)] if len(value) > 253 else []
    if not _SUBDOMAIN.fullmatch(value):
        errors.append(regex_error(_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63 characters."""
    parts = value.split("/")
    if len(parts) > 2:
        name_help = regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        prefixed = "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        return [f"a qualified name {name_help} {prefixed}"]
    errors: list[str] = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {message}" for message in _subdomain_errors(prefix)]
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append(f"name part {max_len_error(63)}")
    if not _QUALIFIED_NAME.fullmatch(name):
        errors.append(
            "name part " + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    errors = [max_len_error(63)] if len(value) > 63 else []
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(regex_error(_LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _invalid(path: str, value: str, message: str) -> Cause:
    return (path, "FieldValueInvalid", f'Invalid value: "{value}": {message}')


def label_name_causes(key: str, path: str) -> list[Cause]:
    return [_invalid(path, key, message) for message in qualified_name_errors(key)]


def labels_causes(labels: object, path: str) -> list[Cause]:
    """ValidateLabels: each key a qualified name, each value a label value. Go walks the map in random order;
    sorted keys make the demo's order stable (the real one varies only when two labels are wrong)."""
    causes: list[Cause] = []
    for key, value in sorted(labels.items()) if isinstance(labels, dict) else ():
        causes += label_name_causes(str(key), path)
        causes += [_invalid(path, str(value), message) for message in label_value_errors(str(value))]
    return causes


def annotations_causes(annotations: object, path: str) -> list[Cause]:
    """ValidateAnnotations: keys are qualified names once lowercased (the message shows the key as written),
    and keys and values together at most 256 kB."""
    causes: list[Cause] = []
    total = 0
    for key, value in sorted(annotations.items()) if isinstance(annotations, dict) else ():
        causes += [_invalid(path, key, message) for message in qualified_name_errors(str(key).lower())]
        total += len(str(key).encode()) + len(str(value).encode())
    if total > _TOTAL_ANNOTATION_SIZE:
        causes.append((path, "FieldValueTooLong", f"Too long: must have at most {_TOTAL_ANNOTATION_SIZE} bytes"))
    return causes


def object_meta_causes(meta: dict, path: str = "metadata") -> list[Cause]:
    """What ValidateObjectMeta (create) and ValidateObjectMetaUpdate (update) both check after the name."""
    return labels_causes(meta.get("labels"), f"{path}.labels") + annotations_causes(
        meta.get("annotations"), f"{path}.annotations"
    )


_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def label_selector_causes(selector: object, path: str) -> list[Cause]:
    """ValidateLabelSelector: matchLabels as labels; each requirement a known operator, values exactly when it
    takes them, and a qualified key."""
    if not isinstance(selector, dict):
        return []
    causes = labels_causes(selector.get("matchLabels"), f"{path}.matchLabels")
    expressions = selector.get("matchExpressions")
    for index, requirement in enumerate(expressions if isinstance(expressions, list) else ()):
        causes += _requirement_causes(requirement, f"{path}.matchExpressions[{index}]")
    return causes


def _requirement_causes(requirement: object, where: str) -> list[Cause]:
    requirement = requirement if isinstance(requirement, dict) else {}
    operator, values = requirement.get("operator"), requirement.get("values") or []
    causes: list[Cause] = []
    if operator in ("In", "NotIn") and not values:
        message = "Required value: must be specified when `operator` is 'In' or 'NotIn'"
        causes.append((f"{where}.values", "FieldValueRequired", message))
    elif operator in ("Exists", "DoesNotExist") and values:
        message = "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        causes.append((f"{where}.values", "FieldValueForbidden", message))
    elif operator not in _OPERATORS:
        causes.append(_invalid(f"{where}.operator", str(operator), "not a valid selector operator"))
    return causes + label_name_causes(str(requirement.get("key", "")), f"{where}.key")


def _go_quoted(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # Go's %q, for the strings labels are made of


def go_label_selector(selector: dict) -> str:
    """A LabelSelector as Go's %#v prints it, as 1.20 shows a selector it cannot turn into one."""
    labels = selector.get("matchLabels")
    if isinstance(labels, dict) and labels:
        shown_labels = ", ".join(f"{_go_quoted(k)}:{_go_quoted(v)}" for k, v in sorted(labels.items()))
        match_labels = f"map[string]string{{{shown_labels}}}"
    else:
        match_labels = "map[string]string(nil)"
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list) and expressions:
        shown = ", ".join(_go_requirement(r if isinstance(r, dict) else {}) for r in expressions)
        match_expressions = f"[]v1.LabelSelectorRequirement{{{shown}}}"
    else:
        match_expressions = "[]v1.LabelSelectorRequirement(nil)"
    return f"v1.LabelSelector{{MatchLabels:{match_labels}, MatchExpressions:{match_expressions}}}"


def _go_requirement(requirement: dict) -> str:
    values = requirement.get("values")
    shown_values = (
        "[]string{" + ", ".join(_go_quoted(v) for v in values) + "}" if isinstance(values, list) else "[]string(nil)"
    )
    key, operator = _go_quoted(requirement.get("key", "")), _go_quoted(requirement.get("operator", ""))
    return f"v1.LabelSelectorRequirement{{Key:{key}, Operator:{operator}, Values:{shown_values}}}"
