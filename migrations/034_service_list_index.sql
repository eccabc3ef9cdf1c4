-- The API's list of services (issue 17) pages through services in the
-- order of their lower-cased name, then namespace (unique: see
-- services_namespace_name_key): this index serves the keyset cursor
-- "(lower(name), namespace) > (...)" without a sort.
CREATE INDEX services_list_order_idx ON services (lower(name), namespace);
