// Package deploy holds what it takes to run the notifier: the Prometheus alerting rules
// (prometheus/alerts.yml), the Grafana dashboard (grafana/notifier.json) and the
// Kubernetes manifests (kubernetes/). It has no code; its tests check that the rules
// parse, that every metric the rules and the dashboard name is exported by the
// notifier, and that the manifests' configs load with the notifier's own loader; with
// the real promtool, that Prometheus loads the rules and that their unit tests
// (prometheus/alerts_test.yml, one for every alert) pass. Its
// tests also keep the repository itself in shape (repo_test.go): no tracked file over
// 1 MiB or executable binary, no production Go file over 400 lines.
package deploy
