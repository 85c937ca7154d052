"""Gradients written out as code, for replayed steps on backends with a recording tape (NumPy).

A replayed step still records its ops on the backend's tape and walks the tape back, as the
eager step does: a node and a wrapper per op, a dict entry per gradient. Where the step uses its
tape plainly (one tape, entered and left once, asked once for the gradients of one target with
respect to Variables, with only ops and Variable writes in between), :func:`written_out`
replaces the tape by the code its walk would run: the ops' forward functions, then each op's
backward rule in reverse order, with gradients added where a value feeds several ops. That is
the code of a hand-written NumPy training loop.

An op takes part through two attributes of the backend's recording op (``plugnet.plugins.tape``
engines): ``__wrapped__``, its forward function on plain arrays, and ``pullback(wanted, g, out,
*args)``, its backward rule, giving the gradient of each positional argument and computing
only those of the arguments in ``wanted``. Ops without ``pullback`` carry no gradient. Anything
else (a second tape, a no-recording block inside, a watched tensor, a persistent tape) leaves
the recording as it is: the tape then runs in the replay too.
"""

from __future__ import annotations


def written_out(recording) -> list:
    """The recording's entries with its tape written out as code, where it qualifies."""
    entries = recording.entries
    tapes = [i for i, e in enumerate(entries) if e.call is not None and e.call[0] == "op" and e.key[0] == "Tape"]
    if len(tapes) != 1:
        return entries
    rewritten = _Rewrite(recording, entries, tapes[0]).run()
    return entries if rewritten is None else rewritten


def _carries(ref, tracked: set) -> bool:
    if ref is None:
        return False
    if ref[0] == "s":
        return ref[1] in tracked
    return ref[0] == "v" and ref[1].trainable


class _Rewrite:
    def __init__(self, recording, entries, tape_index):
        self.recording, self.entries, self.tape_index = recording, entries, tape_index
        self.names: dict = {}  # id(value) -> its constant name

    def name(self, value) -> str:
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = self.recording.constant(value)
        return name

    def code(self, code, ref) -> str:
        """An argument's source, with a Variable's storage instead of the Variable (forward
        functions and rules take plain arrays; storages are written in place, so they stay valid)."""
        if ref is None:
            return code
        if ref[0] == "v":
            return self.name(ref[1]._value)
        if ref[0] == "l":
            parts = [self.code(c, r) for c, r in zip(_split(code), ref[1])]
            return f"[{', '.join(parts)}]" if code.startswith("[") else f"({', '.join(parts)},)"
        return code

    def run(self):
        entries, tape_slot = self.entries, self.entries[self.tape_index].outputs[0]
        tape = self.recording.objects.get(tape_slot)
        recorder = getattr(tape, "_recorder", None)
        if recorder is None or tape.persistent or not tape.watch_accessed_variables:
            return None
        users = [i for i, e in enumerate(entries) if tape_slot in e.uses]
        if [entries[i].call[1] if entries[i].call[0] == "method" else None for i in users] != \
                ["__enter__", "__exit__", "gradient"]:
            return None
        enter, leave, gradient = users
        region = entries[enter + 1:leave]
        if any(e.call is None or e.call[0] not in ("op", "item", "write") for e in region):
            return None
        grad_call = entries[gradient].call
        if len(grad_call[3]) != 3 or grad_call[3][2][0] != "None" or grad_call[4]:
            return None
        (_, targets), (_, sources) = grad_call[3][0], grad_call[3][1]
        if targets is None or targets[0] != "l" or len(targets[1]) != 1 or targets[1][0] is None \
                or targets[1][0][0] != "s":
            return None
        if sources is None or sources[0] != "l" or any(r is None or r[0] != "v" for r in sources[1]):
            return None
        tracked, flows = self.track(region)
        if flows is None:
            return None
        forward = self.forward(region, recorder)
        backward = self.backward(region, tracked, flows, targets[1][0][1], [r[1] for r in sources[1]],
                                 entries[gradient], recorder)
        return entries[:self.tape_index] + entries[self.tape_index + 1:enter] + [forward] + \
            entries[leave + 1:gradient] + [backward] + entries[gradient + 1:]

    def track(self, region):
        """Which slots carry a gradient, and per differentiable op the arguments it flows to."""
        tracked, flows = set(), {}
        for e in region:
            kind = e.call[0]
            if kind == "item":
                if e.call[2] in tracked:
                    tracked.add(e.outputs[0])
                continue
            if kind != "op" or getattr(e.call[1], "pullback", None) is None:
                continue
            if e.call[4]:
                return tracked, None  # a recorded op takes positional arguments only
            into = []
            for position, (_, ref) in enumerate(e.call[3]):
                if ref is not None and ref[0] == "l":
                    into += [(position, j, r) for j, r in enumerate(ref[1]) if _carries(r, tracked)]
                elif _carries(ref, tracked):
                    into.append((position, None, ref))
            if into:
                tracked.add(e.outputs[0])
                flows[id(e)] = into
        return tracked, flows

    def forward(self, region, recorder):
        """The region's calls on plain arrays, with the tape's saving switched on (dropout and conv keep
        what their rules reuse only while a tape records)."""
        from plugnet.training.replay import _Entry

        active, marker = self.name(recorder.active), self.name(_Saving())
        lines, uses, outputs = [], set(), []
        for e in region:
            kind, fn, _, positional, kw_code = e.call
            if kind == "item":
                lines.append(e.code)
            else:
                fn = getattr(fn, "__wrapped__", fn) if kind == "op" else fn
                args = [self.code(code, ref) for code, ref in positional] + ([kw_code] if kw_code else [])
                assign = f"s{e.outputs[0]} = " if e.outputs else ""
                lines.append(f"{assign}{self.name(fn)}({', '.join(args)})")
            uses.update(e.uses)
            outputs += e.outputs
        body = "\n".join("    " + line for line in lines)
        code = f"{active}.append({marker})\ntry:\n{body}\nfinally:\n    {active}.remove({marker})"
        return _Entry(code, None, tuple(outputs), tuple(uses - set(outputs)), False)

    def backward(self, region, tracked, flows, target, variables, gradient_entry, recorder):
        """The tape's walk back as code, ending in the gradient call's result."""
        from plugnet.training.replay import _Entry

        grads: dict = {}  # slot or ("v", id(Variable)) -> the name of its gradient
        assigned: set = set()
        lines, uses = [], {target}

        def grad(key):
            if key not in grads:
                grads[key] = f"g{key}" if type(key) is int else f"gv{len(grads)}"
            return grads[key]

        def add(key, value):
            name = grad(key)
            if name in assigned:
                lines.append(f"    {name} = {self.name(_add)}({name}, {value})")
            else:
                assigned.add(name)
                lines.append(f"    {name} = {value}")

        children: dict = {}  # a list result's slot -> [(index, item slot, spec)]
        for e in region:
            if e.call[0] == "item":
                children.setdefault(e.call[2], []).append((e.call[1], e.outputs[0], e.spec))
        if target in tracked:
            lines.append(f"{grad(target)} = {self.name(recorder.seed)}(s{target}, None)")
            assigned.add(grad(target))
            for e in reversed(region):
                into = flows.get(id(e))
                if into is None:
                    continue
                out = e.outputs[0]
                parts = children.get(out)
                if parts is None:
                    if grad(out) not in assigned:
                        continue
                    condition, g = f"{grad(out)} is not None", grad(out)
                else:
                    live = [(i, s, spec) for i, s, spec in parts if grad(s) in assigned]
                    if not live:
                        continue
                    condition = " or ".join(f"{grad(s)} is not None" for _, s, _ in live)
                    zeros = self.name(recorder.zeros)
                    items = {i: s for i, s, _ in live}
                    g = "[" + ", ".join(
                        f"{grad(items[i])} if {grad(items[i])} is not None else "
                        f"{zeros}({self.name(spec[0])}, {self.name(spec[1])})" if i in items
                        else f"{zeros}({self.name(spec[0])}, {self.name(spec[1])})"
                        for i, _, spec in sorted(parts)) + "]"
                args = [self.code(code, ref) for code, ref in e.call[3]]
                wanted = [self.code(f"s{r[1]}" if r[0] == "s" else "", r) for _, _, r in into]
                lines.append(f"if {condition}:")
                lines.append(f"    r = {self.name(e.call[1].pullback)}(({', '.join(wanted)},), {g}, s{out}, "
                             f"{', '.join(args)})")
                for position, j, ref in into:
                    value = f"r[{position}]" if j is None else f"{self.name(_item)}(r[{position}], {j})"
                    add(ref[1] if ref[0] == "s" else ("v", id(ref[1])), value)
                # Each gradient is read once, by the op that made its value: freeing it here lets the
                # next ops reuse its memory while it is still in the caches, as the tape's walk does.
                consumed = [grad(out)] if parts is None else [grad(s) for _, s, _ in live]
                lines.append(f"    {' = '.join(consumed + ['r'])} = None")
                uses.update(e.uses)
                uses.add(out)
        results = []
        finish = self.name(recorder.finish)
        for k, variable in enumerate(variables):
            name = grads.get(("v", id(variable)))
            if name is None or name not in assigned:
                lines.append(f"v{k} = None")
            else:
                lines.append(f"v{k} = None if {name} is None else {finish}({name}, {self.name(variable)}, "
                             f"[{', '.join(results)}])")
            results.append(f"v{k}")
        out = gradient_entry.outputs[0]
        names = sorted(set(grads.values()))
        head = [f"{' = '.join(names)} = None"] if names else []
        code = "\n".join(head + lines + [f"s{out} = [{', '.join(results)}]"])
        return _Entry(code, None, (out,), tuple(uses), False)


class _Saving:
    """Stands on the tape's list of recording tapes while written-out forward code runs, so that
    ops keep what their backward rules reuse; it records nothing itself."""

    __slots__ = ("_nodes",)

    def __init__(self):
        self._nodes = _Discard()


class _Discard(list):
    def append(self, item):
        pass


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _item(values, j):
    return None if values is None else values[j]


def _split(code: str) -> list[str]:
    """The items of a list or tuple display ``[a, b]`` / ``(a,)`` written by the recorder."""
    inner = code[1:-1].rstrip(",")
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    if inner.strip():
        parts.append(inner[start:].strip())
    return parts
