"""What a reload changes: the plan, computed before anything is touched.

A reload is transactional.  The new configuration is parsed and validated
whole first; if it is broken nothing changes.  If it is good this module
compares it with the running one and says, per neighbor, per worker group and
per process, what must happen:

* a neighbor whose settings are equal (ignoring where in the files it was
  written) and that stays in the same group is **kept**: its session is not
  touched and nothing is re-sent;
* a **changed** neighbor is closed with Cease/Other Configuration Change and
  started again with the new settings, keeping the routes producers gave it;
* a **removed** neighbor is closed with Cease/Peer De-configured;
* an **added** neighbor starts;
* a group with no neighbors left loses its worker; a new group gets one;
* a process whose block changed is restarted, a removed one stopped, a new
  one started.  Bridges of kept processes learn the new neighbor map.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Plan:
    kept: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    groups_added: list[str] = field(default_factory=list)
    groups_removed: list[str] = field(default_factory=list)
    groups_touched: list[str] = field(default_factory=list)  # kept, with neighbor changes
    processes_added: list[str] = field(default_factory=list)
    processes_removed: list[str] = field(default_factory=list)
    processes_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.changed or self.removed or self.added or self.processes_added
                    or self.processes_removed or self.processes_changed)

    def describe(self) -> list[str]:
        lines = []
        for title, names in (
            ("neighbors kept", self.kept),
            ("neighbors restarted (changed)", self.changed),
            ("neighbors removed", self.removed),
            ("neighbors added", self.added),
            ("workers started", self.groups_added),
            ("workers retired", self.groups_removed),
            ("processes started", self.processes_added),
            ("processes stopped", self.processes_removed),
            ("processes restarted (changed)", self.processes_changed),
        ):
            if names:
                lines.append(f"{title}: {' '.join(sorted(names))}")
        return lines or ["nothing changes"]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _settings(neighbor):
    """The neighbor as compared across reloads: where it was written does not count."""
    return dataclasses.replace(neighbor, source="") if hasattr(neighbor, "source") else neighbor


def plan(old_config, old_refs, new_config, new_refs) -> Plan:
    old = {r.name: (r, n) for r, n in zip(old_refs, old_config.neighbors, strict=True)}
    new = {r.name: (r, n) for r, n in zip(new_refs, new_config.neighbors, strict=True)}
    result = Plan()
    for name, (ref, neighbor) in new.items():
        if name not in old:
            result.added.append(name)
            continue
        old_ref, old_neighbor = old[name]
        if old_ref.group == ref.group and _settings(old_neighbor) == _settings(neighbor):
            result.kept.append(name)
        else:
            result.changed.append(name)
    result.removed = [name for name in old if name not in new]

    old_groups = {r.group for r in old_refs}
    new_groups = {r.group for r in new_refs}
    result.groups_added = sorted(new_groups - old_groups)
    result.groups_removed = sorted(old_groups - new_groups)
    touched = set()
    for name in result.changed + result.added + result.removed:
        for side in (old, new):
            if name in side:
                touched.add(side[name][0].group)
    result.groups_touched = sorted(touched & old_groups & new_groups)

    old_processes = {p.name: p for p in old_config.processes}
    new_processes = {p.name: p for p in new_config.processes}
    result.processes_added = sorted(set(new_processes) - set(old_processes))
    result.processes_removed = sorted(set(old_processes) - set(new_processes))
    result.processes_changed = sorted(
        name for name in set(new_processes) & set(old_processes)
        if new_processes[name] != old_processes[name])
    return result
