resource "google_firestore_database" "main" {
  count                   = var.create_firestore_database ? 1 : 0
  project                 = var.project_id
  name                    = var.firestore_database
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"
  depends_on              = [google_project_service.apis]
}

locals {
  database = var.create_firestore_database ? google_firestore_database.main[0].name : var.firestore_database
}

# Composite indexes (two fields or more).
resource "google_firestore_index" "composite" {
  for_each    = local.composite_indexes
  project     = var.project_id
  database    = local.database
  collection  = "${var.collection_prefix}${each.value.collection}"
  query_scope = each.value.scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field
      order        = lookup(fields.value, "order", null)
      array_config = lookup(fields.value, "array_config", null)
    }
  }
}

# A collection-group query on one field needs a single-field index with COLLECTION_GROUP scope. An override
# replaces the field's automatic indexes, so the collection-scope ones are listed again.
resource "google_firestore_field" "collection_group" {
  for_each   = local.single_field_overrides
  project    = var.project_id
  database   = local.database
  collection = "${var.collection_prefix}${each.value.collection}"
  field      = each.value.fields[0].field

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "DESCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = each.value.fields[0].order
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# Single-field index exemptions (issue 32, docs/scale.md): no query reads these alone, and a sequential one
# would hold the collection's writes to one key range.
resource "google_firestore_field" "unindexed" {
  for_each   = local.unindexed_fields
  project    = var.project_id
  database   = local.database
  collection = "${var.collection_prefix}${each.value.collection}"
  field      = each.value.field

  index_config {}
}

# TTL policies; the field itself is not indexed (no query uses it, and a monotonic timestamp index is a hotspot).
resource "google_firestore_field" "ttl" {
  for_each   = local.ttl_fields
  project    = var.project_id
  database   = local.database
  collection = "${var.collection_prefix}${each.key}"
  field      = each.value

  ttl_config {}
  index_config {}
}
