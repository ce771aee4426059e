# The VPC the Dataflow workers and the Cloud Run jobs run in. Workers have no
# external IP: Google APIs (Pub/Sub, Cloud Storage, Secret Manager, the Cloud
# SQL Admin API the connector calls, Artifact Registry) are reached through
# Private Google Access, Cloud SQL through private services access (VPC
# peering), and the internet (the feeds ingest polls) through Cloud NAT.

resource "google_compute_network" "vpc" {
  name                    = "${var.name}-vpc"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "workers" {
  name                       = "${var.name}-workers"
  region                     = var.region
  network                    = google_compute_network.vpc.id
  ip_cidr_range              = var.workers_cidr
  private_ip_google_access   = true
  private_ipv6_google_access = "ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE"

  log_config {
    aggregation_interval = "INTERVAL_5_MIN"
    flow_sampling        = 0.5
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Dataflow workers (network tag "dataflow") talk to each other on 12345-12346
# (shuffle and streaming data); nothing else is allowed in.
resource "google_compute_firewall" "dataflow_workers" {
  name        = "${var.name}-dataflow-internal"
  network     = google_compute_network.vpc.id
  direction   = "INGRESS"
  priority    = 1000
  source_tags = ["dataflow"]
  target_tags = ["dataflow"]

  allow {
    protocol = "tcp"
    ports    = ["12345-12346"]
  }
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Egress to the internet for ingest (feeds, social APIs) without external IPs.
resource "google_compute_router" "nat" {
  name    = "${var.name}-router"
  region  = var.region
  network = google_compute_network.vpc.id
}

resource "google_compute_router_nat" "nat" {
  name                               = "${var.name}-nat"
  router                             = google_compute_router.nat.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.workers.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }
  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Private services access: a range peered with Google's service producer
# network, where Cloud SQL's private IP lives.
resource "google_compute_global_address" "private_services" {
  name          = "${var.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = var.private_services_prefix_length
  network       = google_compute_network.vpc.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.vpc.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}
