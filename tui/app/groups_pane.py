"""Groups pane: fleet -> domain groups -> domains -> enclosures, with counts and badges."""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text, TextType
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.app import format as fmt
from tui.app.fleet import ATTENTION, FLEET, Scope, Snapshot
from tui.app.linelist import STYLE_NAMES, Parts
from tui.model.entities import DomainSummary, EnclosureSummary, GroupSummary
from tui.model.text import printable


class NodeData:
    """A tree line's scope and words; the words of a line redrawn while off screen are
    made when it is first drawn (``make``): a busy feed changes most of a 16k fleet's
    domain lines, and ~40 show."""

    def __init__(self, scope: Scope, parts: Parts | None = None,
                 make: Callable[[], Parts] | None = None) -> None:
        self.scope = scope
        self._parts: Parts = parts or []
        self._make = make

    @property
    def parts(self) -> Parts:
        if self._make is not None:
            self._parts, self._make = self._make(), None
        return self._parts


def fleet_parts(snap: Snapshot) -> Parts:
    parts: Parts = [("fleet", "header"), (f" {snap.size()} bays", "dim")]
    if snap.partial:
        return [*parts, LOADING]
    crit = snap.critical()
    if crit:
        parts.append((f" {crit} CRIT", "crit"))
    return parts


OPEN_GROUPS = 8  # up to this many groups, the first tree shows every domain open
LOADING = (" loading…", "dim")  # an outline's line: its figures come with the whole view


def attention_parts(count: int) -> Parts:
    return [("! needs attention" if count else "needs attention", "warn" if count else "dim"),
            (f" ({count})", "dim")]


def health_parts(critical: int, warning: int) -> Parts:
    """The CRIT / warn counts of a tree line (nothing when all is well)."""
    return ([(f" {critical} CRIT", "crit")] if critical else []) + \
           ([(f" {warning} warn", "warn")] if warning else [])


def group_parts(g: GroupSummary) -> Parts:
    parts: Parts = [(g.name, "header")]
    fw = g.firmware
    if fw is not None and not fw.ok:  # next to the name, in words: it survives a narrow pane
        parts.append((f" {fw.text}", "warn"))
    parts.append((f" {g.bays}b", "dim"))
    parts += health_parts(g.critical, g.warning)
    if g.spares_ready == 0:
        parts.append((" NO SPARE", "crit"))
    else:
        parts.append((f" sp {g.spares_ready}/{g.spares}", "spare"))
    # a what-if: a gap in it (which a spare fills) comes before the policy, so that a
    # narrow pane cuts the policy first; "covers 1 enc" after it
    if g.cover and not g.cover_ok:
        parts.append((f" {g.cover}", "warn"))
    window = f" {g.policy.window}" if g.policy.window else ""
    parts.append((f" [{g.policy.mode}{window}]", "warn" if g.policy.mode == "auto" else "dim"))
    if g.cover and g.cover_ok:
        parts.append((f" {g.cover}", "ok"))
    if g.running_jobs:
        parts.append((f" [{g.running_jobs} job{'s' if g.running_jobs > 1 else ''}]", "job"))
    if fw is not None and fw.ok and fw.domains:
        parts.append((f" {fw.text}", "dim"))
    return parts


def domain_parts(d: DomainSummary, now: float) -> Parts:
    parts: Parts = [(d.name, "")]
    if d.maintenance is not None:  # first: it must survive a narrow pane
        text, style = fmt.maintenance_badge(d.maintenance, now)
        parts.append((" " + text, style))
    if d.ports_down:  # next: a narrow pane cut it to "1 port…" when it came last
        parts.append((f" {d.ports_down} port{'s' if d.ports_down > 1 else ''} down", "crit"))
    parts.append((f" {d.bays}b", "dim"))
    parts += health_parts(d.critical, d.warning)
    parts.append((f" sp {d.spares}", "spare" if d.spares else "dim"))
    if d.drifted:
        parts.append((" drift", "warn"))
    elif d.firmware_off:  # the hardware differs from the baseline with no drift to explain it
        parts.append((" fw", "warn"))
    return parts


def enclosure_parts(e: EnclosureSummary, live: int | None = None) -> Parts:
    """``live``: drained (evacuated), with this many profiles still running on it."""
    parts: Parts = [(e.name, "")]
    if live is not None:  # first: it must survive a narrow pane
        parts.append((" DRAINED" + (f" {live} live" if live else ""), "crit" if live else "maint"))
    parts.append((f" {e.servers}/{e.bays}", "dim"))
    parts += health_parts(e.critical, e.warning)
    return parts


def drained_live(snap: Snapshot, enclosure: str) -> int | None:
    """None when the enclosure is not drained, else how many profiles still run on it."""
    bays = snap.by_enclosure.get(enclosure, ())
    if not bays or not bays[0].drained:
        return None
    return sum(1 for b in bays if b.profile is not None)


class GroupsTree(Tree[NodeData]):
    ICON_NODE = "+ "
    ICON_NODE_EXPANDED = "- "
    COMPONENT_CLASSES = Tree.COMPONENT_CLASSES | {f"groups--{n}" for n in STYLE_NAMES}
    BINDINGS = [
        Binding("enter", "select_cursor", "Select", show=False, id="groups.select"),
        Binding("space", "toggle_node", "Expand", show=False, id="groups.toggle"),
        Binding("up", "cursor_up", "Up", show=False, id="groups.up"),
        Binding("down", "cursor_down", "Down", show=False, id="groups.down"),
        Binding("left", "collapse_or_parent", "Collapse", show=False, id="groups.collapse"),
        Binding("right", "expand_node", "Expand", show=False, id="groups.expand"),
        Binding("j", "cursor_down", "Down", show=False, id="groups.vim-down"),
        Binding("k", "cursor_up", "Up", show=False, id="groups.vim-up"),
        Binding("g", "first", "First", show=False, id="groups.vim-first"),
        Binding("G", "last", "Last", show=False, id="groups.vim-last"),
    ]
    DEFAULT_CSS = """
    GroupsTree > .groups--ok { color: $bay-ok; }
    GroupsTree > .groups--warn { color: $bay-warning; text-style: bold; }
    GroupsTree > .groups--crit { color: $bay-critical; text-style: bold; }
    GroupsTree > .groups--dim { color: $foreground-muted; }
    GroupsTree > .groups--spare { color: $bay-spare; }
    GroupsTree > .groups--maint { color: $bay-maintenance; text-style: bold; }
    GroupsTree > .groups--job { color: $bay-job; text-style: bold; }
    GroupsTree > .groups--header { text-style: bold; }
    """

    def __init__(self, clock: Callable[[], float] = time.time, *, id: str | None = "groups") -> None:
        self._styles: dict[str, Style] = {}
        self._measured_for: object = None  # the tree lines get_label_width last measured
        self._measure_width = 0
        self._adding = False  # _rebuild adds its lines: one layout after, not one per line
        super().__init__("fleet", NodeData(FLEET, [("fleet", "header")]), id=id)
        self.clock = clock
        self.show_root = True
        self.auto_expand = False  # on_tree_node_selected: never collapses the whole fleet
        self.guide_depth = 2
        self._scope_nodes: dict[Scope, TreeNode[NodeData]] = {FLEET: self.root}
        self._shape: tuple = ()
        # domain -> what its lines show: figures, lease minute, its enclosures' drain
        self._drawn: dict[str, tuple[DomainSummary, int, tuple[int | None, ...]]] = {}
        self._snap = Snapshot()  # the view the lines show
        self._unfilled: dict[TreeNode[NodeData], str] = {}  # domain nodes with no enclosure line yet
        self._domain_node: dict[str, TreeNode[NodeData]] = {}  # enclosure -> its domain's node

    def _invalidate(self) -> None:
        """Textual 8.2.8's Tree lays the whole tree out again after every node added or
        opened: a rebuild at 64,000 bays (1,025 lines) would do that 1,025 times."""
        if not self._adding:
            super()._invalidate()

    def process_label(self, label: TextType) -> Text:
        """A label as given when it is one line (``fmt.plain``'s are): Tree copies each
        label's first line, and the lines are drawn from their parts anyway."""
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if not name:
                return Style()
            try:
                style = self.get_component_rich_style(f"groups--{name}", partial=True)
            except KeyError:  # not mounted yet: Tree measures labels in __init__
                return Style()
            self._styles[name] = style
        return style

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        data = node.data
        if data is None:
            return super().render_label(node, base_style, style)
        label = Text.assemble(*((printable(text), self._style(name)) for text, name in data.parts))
        label.stylize(style)
        prefix = ((self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
                  if node.allow_expand else "  ")
        line = Text.assemble((prefix, base_style), label)
        room = self._room(node, self.scrollable_content_region.width)
        if 1 < room < line.cell_len:  # a cut label says so ("no cover for Gen1" read as Gen1)
            line.truncate(room, overflow="ellipsis")
        return line

    def _room(self, node: TreeNode[NodeData], width: int) -> int:
        """The cells a node's line has beside its guides, in a pane ``width`` wide."""
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        return width - depth * self.guide_depth

    def get_label_width(self, node: TreeNode[NodeData]) -> int:
        """``render_label``'s width without drawing the label: Tree measures every line
        whenever it lays them out (1,000 domain lines at 64,000 bays)."""
        if node.data is None:
            return super().get_label_width(node)
        width = 2 + sum(cell_len(printable(text)) for text, _ in node.data.parts)  # 2: the icon
        # The pane's width once per layout of the lines (Tree measures them all in one
        # pass, Textual 8.2.8's _build; the region is a look-up in the screen's map)
        if self._measured_for is not self._tree_lines_cached:
            self._measured_for = self._tree_lines_cached
            self._measure_width = self.scrollable_content_region.width
        room = self._room(node, self._measure_width)
        return room if 1 < room < width else width

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        """Enter (or a click) toggles a node as Tree does, except the root: Enter on
        "fleet" shows the whole fleet's bays and keeps the tree open (space folds it)."""
        node = event.node
        if node is not self.root and node.allow_expand:
            node.toggle()

    def action_first(self) -> None:
        self.cursor_line = 0

    def action_last(self) -> None:
        self.cursor_line = self.last_line

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.allow_expand:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    @property
    def scope(self) -> Scope:
        node = self.cursor_node
        return node.data.scope if node is not None and node.data else FLEET

    def _set(self, node: TreeNode[NodeData], parts: Parts) -> None:
        if node.data is None or node.data.parts != parts:
            self._redraw(node, NodeData(node.data.scope if node.data else FLEET, parts))

    def _set_later(self, node: TreeNode[NodeData], make: Callable[[], Parts]) -> None:
        """New words for ``node``'s line, made now if it is on screen, else when drawn."""
        if self._on_screen(node):
            self._set(node, make())  # repainted only if its words differ
        else:
            self._redraw(node, NodeData(node.data.scope if node.data else FLEET, make=make))

    def _on_screen(self, node: TreeNode[NodeData]) -> bool:
        top = int(self.scroll_offset.y)
        return top <= node.line < top + self.size.height

    def _redraw(self, node: TreeNode[NodeData], data: NodeData) -> None:
        node.data = data
        # render_label draws from the parts: repaint this node's line if it is on
        # screen (a collapsed or scrolled-off node is drawn fresh when it shows)
        if self._on_screen(node):
            node.refresh()
        else:  # invalidate its cached line without a repaint (Textual 8.2.8's cache key)
            node._updates += 1

    def update_from(self, snap: Snapshot, touched: set[str] | None = None) -> None:
        """Labels from the view; ``touched``: only these groups' figures changed."""
        now = self.clock()
        self._snap = snap
        attention = len(snap.attention)
        if touched is None:  # the structure may have changed; bays alone never reshape it
            shape = tuple((g.name, tuple((d.name, tuple(e.name for e in d.enclosures))
                                         for d in g.domains)) for g in snap.groups)
            if shape != self._shape:
                self._rebuild(snap, now, attention)
                self._shape = shape
                return
        if snap.partial:
            return  # its lines say loading until the whole view comes
        self._set(self.root, fleet_parts(snap))
        self._set(self._scope_nodes[ATTENTION], attention_parts(attention))
        for g in snap.groups:
            if touched is not None and g.name not in touched:
                continue  # its figures did not change
            self._set(self._scope_nodes[Scope("group", g.name)], group_parts(g))
            minute = int(now // 60)
            for d in g.domains:
                drained = tuple(drained_live(snap, e.name) for e in d.enclosures)
                if self._drawn.get(d.name) == (d, minute, drained):
                    continue  # same figures, same lease minute: its line and its enclosures'
                self._drawn[d.name] = (d, minute, drained)
                self._set_later(self._scope_nodes[Scope("domain", d.name)],
                                partial(domain_parts, d, now))
                for e, live in zip(d.enclosures, drained, strict=True):
                    leaf = self._scope_nodes.get(Scope("enclosure", e.name))
                    if leaf is not None:  # else drawn when its domain first opens
                        self._set_later(leaf, partial(enclosure_parts, e, live))

    def _rebuild(self, snap: Snapshot, now: float, attention: int) -> None:
        selected = self.scope
        expanded = {s for s, n in self._scope_nodes.items() if n.is_expanded}
        self.clear()
        self._adding = True
        try:
            self._add_lines(snap, now, attention, expanded)
        finally:
            self._adding = False
        self._invalidate()
        self.move_cursor(self._node(selected) or self.root)

    def _add_lines(self, snap: Snapshot, now: float, attention: int, expanded: set[Scope]) -> None:
        first = not self._shape
        self._drawn.clear()
        self._scope_nodes = {FLEET: self.root}
        self._unfilled.clear()
        self._domain_node.clear()
        self._set(self.root, fleet_parts(snap))
        loading = snap.partial
        node = self.root.add_leaf(fmt.plain("needs attention"), NodeData(ATTENTION, (
            [("needs attention", "dim"), LOADING] if loading else attention_parts(attention))))
        self._scope_nodes[ATTENTION] = node
        for g in snap.groups:
            gs = Scope("group", g.name)
            gnode = self.root.add(fmt.plain(g.name), NodeData(
                gs, [(g.name, "header"), LOADING] if loading else group_parts(g)))
            self._scope_nodes[gs] = gnode
            for d in g.domains:
                ds = Scope("domain", d.name)
                dnode = gnode.add(fmt.plain(d.name), NodeData(
                    ds, [(d.name, ""), LOADING] if loading else domain_parts(d, now)))
                self._scope_nodes[ds] = dnode
                self._unfilled[dnode] = d.name
                self._domain_node.update((e.name, dnode) for e in d.enclosures)
                if ds in expanded or (first and len(snap.groups) <= OPEN_GROUPS):
                    self._fill(dnode)
                    dnode.expand()
            if gs in expanded or first:
                gnode.expand()
        self.root.expand()

    def _fill(self, dnode: TreeNode[NodeData]) -> None:
        """A domain's enclosure lines, made when it first opens: a 64,000-bay fleet's
        4,000 enclosures are most of its tree, and most stay folded."""
        name = self._unfilled.pop(dnode, None)
        d = None if name is None else self._snap.domains.get(name)
        if d is None:
            return
        for e in d.enclosures:
            es = Scope("enclosure", e.name)
            self._scope_nodes[es] = dnode.add_leaf(fmt.plain(e.name), NodeData(
                es, [(e.name, "")] if self._snap.partial
                else enclosure_parts(e, drained_live(self._snap, e.name))))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        self._fill(event.node)

    def _node(self, scope: Scope) -> TreeNode[NodeData] | None:
        if scope.kind == "enclosure" and (dnode := self._domain_node.get(scope.name or "")):
            self._fill(dnode)
        return self._scope_nodes.get(scope)

    def select_scope(self, scope: Scope) -> bool:
        node = self._node(scope)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        # lay the lines out now (Textual 8.2.8 numbers them when it next draws): a node never
        # shown has no line number yet, and the cursor would land on the root
        if not self._tree_lines:
            return False
        self.move_cursor(node)
        return True
