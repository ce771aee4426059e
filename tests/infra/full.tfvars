# Every optional part switched on, so checkov (tests/infra/test_terraform_static.py)
# evaluates the jobs, schedules and secrets too. The digests are made up.
project       = "mentionwatch-ci"
monitor_image = "europe-west1-docker.pkg.dev/mentionwatch-ci/mentionwatch/mentionwatch@sha256:1111111111111111111111111111111111111111111111111111111111111111"
ingest_image  = "europe-west1-docker.pkg.dev/mentionwatch-ci/mentionwatch/mentionwatch@sha256:2222222222222222222222222222222222222222222222222222222222222222"
start_jobs    = true
secret_ids    = ["reddit-client-id", "reddit-client-secret", "smtp-username", "smtp-password"]
