"""The residual layer without the prim specs the tables already give.

After the split, a prim whose values all moved is often left in the
residual as a bare ``over`` with nothing of its own (the suite's props
layer: 100k of them). The tables author an ``over`` spec at every prim they
hold a row for and at its ancestors, so such a spec adds nothing to the
composed stage, except through child order: USD composes a prim's child
names weakest layer first, each layer adding the names it does not have yet
in its own order, and the readers give a table's children sorted by name
(byte order). In the converted layer's stack (residual weakest, then the
defaults tables, then the series tables, each kind's extra tables
``-2, -3 ...`` weaker than its first) a parent's children therefore compose
as the residual's children, then each table's sorted children not yet
listed, weakest table first.

So a prim spec goes when it is bare (``over``, no metadata, property or
variant set), a table holds the prim (a row, or a row below it), and its own
children all went; and a parent keeps the first of its children (even bare
ones) up to where the rest, in the source's order, is the order the tables
give them: ``[b, a]`` keeps ``b``, sorted children keep none. A parent with
a ``primOrder`` (``reorder nameChildren``) keeps all of them: it reorders the
residual's names before the tables add theirs. Inside variants nothing
changes (no table holds a value there)."""

from __future__ import annotations

from pxr import Sdf

# Up to this many children removed one by one; more, and the kept ones are
# copied out and back (Sdf removes a child in time linear in its siblings).
_ONE_BY_ONE = 16


def prune_residual(layer: Sdf.Layer, bare: set, tables: list[list[str]]) -> int:
    """Remove from ``layer`` (the residual) the prim specs the tables give
    alone. ``bare``: the prims with nothing of their own (Split.bare);
    ``tables``: each table's prim paths, in the order the root lists them
    (the strongest first). Returns the prim specs removed."""
    if not bare or not tables:
        return 0
    return _Pruner(layer, bare, [_children(paths) for paths in reversed(tables)]).run()


def _children(paths: list[str]) -> dict[str, set[str]]:
    """A table's prims as parent path -> child names (ancestors included)."""
    out: dict[str, set[str]] = {}
    for path in paths:
        while path != "/":
            parent, name = path.rsplit("/", 1)
            parent = parent or "/"
            names = out.get(parent)
            if names is None:
                names = out[parent] = set()
            elif name in names:
                break  # its ancestors are in already
            names.add(name)
            path = parent
    return out


class _Pruner:
    def __init__(self, layer: Sdf.Layer, bare: set, tables: list[dict[str, set[str]]]):
        self.layer, self.bare, self.tables = layer, bare, tables  # tables: weakest first
        self.removed = 0

    def run(self) -> int:
        with Sdf.ChangeBlock():
            self._prune(self.layer.pseudoRoot, "/")
        return self.removed

    def _in_tables(self, parent: str, name: str) -> bool:
        return any(name in t.get(parent, ()) for t in self.tables)

    def _table_order(self, parent: str) -> dict[str, int]:
        """Rank of each child of ``parent`` in the order the tables compose them."""
        rank: dict[str, int] = {}
        for table in self.tables:
            for name in sorted(table.get(parent, ())):
                rank.setdefault(name, len(rank))
        return rank

    def _prune(self, spec: Sdf.PrimSpec, path: str) -> bool:
        """Prune below ``spec``; True if it has no child spec left."""
        children = list(spec.nameChildren)
        if not children:
            return True
        prefix = "" if path == "/" else path
        goes = []
        for child in children:
            name = child.name
            child_path = f"{prefix}/{name}"
            empty = self._prune(child, child_path)
            goes.append(empty and child_path in self.bare and self._in_tables(path, name))
        if not any(goes) or (path != "/" and spec.HasInfo("primOrder")):
            return False
        rank = self._table_order(path)
        names = [c.name for c in children]
        keep = len(names)
        while (
            keep
            and goes[keep - 1]
            and (keep == len(names) or rank[names[keep - 1]] < rank[names[keep]])
        ):
            keep -= 1
        self._remove(spec, children, keep)
        return keep == 0

    def _remove(self, spec: Sdf.PrimSpec, children: list, keep: int) -> None:
        """Remove ``children[keep:]`` (specs without children by now) from ``spec``."""
        gone = len(children) - keep
        if not gone:
            return
        self.removed += gone
        proxy = spec.nameChildren
        if keep == 0:
            proxy.clear()
        elif gone <= _ONE_BY_ONE:
            for child in children[keep:]:
                del proxy[child.name]
        else:
            # Copied out at the same paths (CopySpec then maps no path), the
            # children cleared, the kept ones copied back in their order.
            scratch = Sdf.Layer.CreateAnonymous(".usda")
            kept = [c.path for c in children[:keep]]
            for p in kept:
                if p.GetParentPath() != Sdf.Path.absoluteRootPath:
                    Sdf.CreatePrimInLayer(scratch, p.GetParentPath())
                Sdf.CopySpec(self.layer, p, scratch, p)
            proxy.clear()
            for p in kept:
                Sdf.CopySpec(scratch, p, self.layer, p)
