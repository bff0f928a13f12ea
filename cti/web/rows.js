// A table body kept by key: one row per item, made once and then updated in place, so a
// message that changes 20 agents of 1,000 touches 20 rows, not the table.
//
// Rules:
// 1. `put` fills the item's row and moves it only when it is out of order with its
//    neighbours (then to its place by binary search); `order` must be a total order.
// 2. An item `keep` refuses (the filter) has no row in the body; it keeps its row aside.
// 3. `arrange` (a new sort or filter, a snapshot) puts every row in place, moving only the
//    rows that are not already where they belong.
// 4. `tick` refreshes what changes with time (e.g. time in state) in the rows on screen
//    only: rows scrolled out of view are refreshed as they come into view.

export class KeyedRows {
  constructor(body, { make, fill, order, keep = () => true, tick = null }) {
    Object.assign(this, { body, make, fill, order, keep, tickFill: tick });
    this.entries = new Map(); // key -> { row, item }
    this.shown = []; // the keys in the body, in order
    this.visible = new Set(); // rows on screen (rule 4)
    this.watch = tick && "IntersectionObserver" in window
      ? new IntersectionObserver((seen) => this.seen(seen)) : null;
  }

  get size() { return this.shown.length; }

  put(key, item, arrangeAfter = false) { // arrangeAfter: `arrange` follows, which places it
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { row: this.make(key), item };
      entry.row.dataset.key = key;
      this.entries.set(key, entry);
      if (this.watch) this.watch.observe(entry.row);
    }
    entry.item = item;
    this.fill(entry.row, item);
    if (this.tickFill) this.tickFill(entry.row, item);
    if (!arrangeAfter) this.place(key, entry);
  }

  drop(key) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.unshow(key, entry);
    if (this.watch) this.watch.unobserve(entry.row);
    this.visible.delete(entry.row);
  }

  keys() { return this.entries.keys(); }

  arrange() { // rule 3
    const kept = [...this.entries].filter(([, e]) => this.keep(e.item));
    kept.sort(([, a], [, b]) => this.order(a.item, b.item));
    this.shown = kept.map(([key]) => key);
    let cursor = this.body.firstElementChild;
    for (const [, entry] of kept) {
      if (entry.row === cursor) cursor = cursor.nextElementSibling;
      else this.body.insertBefore(entry.row, cursor);
    }
    while (cursor) { // what is left after the last kept row is filtered out
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
  }

  tick() { // rule 4
    if (!this.tickFill) return;
    const rows = this.watch ? this.visible : [...this.entries.values()].map((e) => e.row);
    for (const row of rows) {
      const entry = this.entries.get(row.dataset.key);
      if (entry) this.tickFill(row, entry.item);
    }
  }

  seen(changes) {
    for (const change of changes) {
      if (!change.isIntersecting) { this.visible.delete(change.target); continue; }
      this.visible.add(change.target);
      const entry = this.entries.get(change.target.dataset.key);
      if (entry) this.tickFill(change.target, entry.item);
    }
  }

  place(key, entry) { // rules 1, 2
    if (!this.keep(entry.item)) { this.unshow(key, entry); return; }
    const at = this.shown.indexOf(key);
    if (at >= 0 && this.inOrder(at, entry.item)) return;
    if (at >= 0) this.shown.splice(at, 1);
    let low = 0, high = this.shown.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.order(this.entries.get(this.shown[middle]).item, entry.item) < 0) low = middle + 1;
      else high = middle;
    }
    const next = low < this.shown.length ? this.entries.get(this.shown[low]).row : null;
    this.shown.splice(low, 0, key);
    this.body.insertBefore(entry.row, next);
  }

  inOrder(at, item) {
    const before = at > 0 ? this.entries.get(this.shown[at - 1]).item : null;
    const after = at + 1 < this.shown.length ? this.entries.get(this.shown[at + 1]).item : null;
    return (!before || this.order(before, item) < 0) && (!after || this.order(item, after) < 0);
  }

  unshow(key, entry) {
    const at = this.shown.indexOf(key);
    if (at < 0) return;
    this.shown.splice(at, 1);
    entry.row.remove();
  }
}
