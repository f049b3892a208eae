-- The organisation's logo in its widget's header: the image itself (PNG,
-- JPEG or WebP, checked by its bytes), its type, and a hash of it that
-- versions the logo's address so browsers may cache it for a year.
ALTER TABLE organisations ADD COLUMN logo BYTEA;
ALTER TABLE organisations ADD COLUMN logo_mime TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN logo_sha256 TEXT NOT NULL DEFAULT '';
