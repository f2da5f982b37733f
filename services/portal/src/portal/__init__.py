"""The marketplace's web portal: server-rendered pages over the services' HTTP APIs."""
