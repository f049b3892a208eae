-- Embedding: the intranet origins allowed to frame an organisation's widget
-- (space-separated; the widget route's frame-ancestors) and its colour.
ALTER TABLE organisations ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN theme_color TEXT NOT NULL DEFAULT '';
