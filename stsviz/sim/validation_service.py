"""A Service's ports and selector, as 1.20's ValidateService checks them, in its order and words.

The mistakes a StatefulSet's headless Service is written with: a second port
without a name (`spec.ports[1].name: Required value`), a port past 65535, two
ports of one name, a selector that is no set of labels. The demo stored them.
"""

from __future__ import annotations

from .validation_meta import Cause, labels_causes, unsupported
from .validation_pod import PROTOCOLS, dns1123_label_causes, port_name_errors, port_number_causes


def service_causes(service: dict) -> list[Cause]:
    """validateServicePort for each port (a name required when there are several), then the selector."""
    spec = service.get("spec") or {}
    ports = [p if isinstance(p, dict) else {} for p in spec.get("ports") or []]
    causes: list[Cause] = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        where = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            causes.append((f"{where}.name", "FieldValueRequired", "Required value"))
        elif name:
            causes += dns1123_label_causes(name, f"{where}.name")
            if name in names:
                causes.append((f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
            names.add(name)
        causes += port_number_causes(f"{where}.port", port.get("port", 0))
        protocol = port.get("protocol") or ""
        if not protocol:
            causes.append((f"{where}.protocol", "FieldValueRequired", "Required value"))
        elif protocol not in PROTOCOLS:
            causes.append(unsupported(f"{where}.protocol", protocol, PROTOCOLS))
        causes += _target_port_causes(port.get("targetPort"), f"{where}.targetPort")
    return causes + labels_causes(spec.get("selector"), "spec.selector")


def _target_port_causes(target: object, path: str) -> list[Cause]:
    """ValidatePortNumOrName: a number in 1..65535, or a port's name."""
    if isinstance(target, str):
        return [(path, "FieldValueInvalid", f'Invalid value: "{target}": {e}') for e in port_name_errors(target)]
    return port_number_causes(path, target)
