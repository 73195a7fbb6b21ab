"""The station's uploader, by job: the loop, scans, photos, manifest."""
