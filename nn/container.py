"""Cell containers: ``SequentialCell`` and ``CellList``."""

from collections import OrderedDict

from ..graph.cell import Cell


class SequentialCell(Cell):
    """Cells run in order: ``SequentialCell([c1, c2])``, ``SequentialCell(c1, c2)`` or an OrderedDict."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        else:
            cells = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
            items = [(str(i), c) for i, c in enumerate(cells)]
        for name, cell in items:
            if not isinstance(cell, Cell):
                raise TypeError(f"For 'SequentialCell', every element must be a Cell, got {type(cell).__name__}")
            setattr(self, name, cell)

    def __getitem__(self, index):
        return list(self._cells.values())[index]

    def __len__(self):
        return len(self._cells)

    def append(self, cell):
        setattr(self, str(len(self._cells)), cell)

    def construct(self, x):
        for cell in self._cells.values():
            x = cell(x)
        return x


class CellList(Cell):
    """A list of Cells registered as children (``CellList([c1, c2])``)."""

    def __init__(self, cells=None):
        super().__init__()
        for cell in cells or []:
            self.append(cell)

    def append(self, cell):
        if not isinstance(cell, Cell):
            raise TypeError(f"For 'CellList', every element must be a Cell, got {type(cell).__name__}")
        setattr(self, str(len(self._cells)), cell)

    def extend(self, cells):
        for c in cells:
            self.append(c)

    def __getitem__(self, index):
        return list(self._cells.values())[index]

    def __len__(self):
        return len(self._cells)

    def __iter__(self):
        return iter(list(self._cells.values()))

    def construct(self, *inputs):
        raise NotImplementedError("CellList is a container; iterate over it in your construct")
