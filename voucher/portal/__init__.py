"""Pages that combine several modules for one person: the role home pages, dashboards."""
