"""Storage backends behind small protocols, chosen by URL: metadata (SQL), artifacts (fsspec).

The metadata database is reached through one role store per domain, all over one `Database`:
`runs` (RunStore), `lineage` (LineageStore), `tracking` (TrackingStore), `registry`
(RegistryStore); a `Workspace` exposes them as `workspace.runs`, `workspace.lineage`,
`workspace.tracking`, `workspace.registry`. `stores.opened` is the process's one cache of opened
stores (one per URL). How a new domain adds its role store: see `stores.metadata`."""
