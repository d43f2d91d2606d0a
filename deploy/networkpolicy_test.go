package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// networkPolicy is the part of a NetworkPolicy the test reads.
type networkPolicy struct {
	Kind string `yaml:"kind"`
	Spec struct {
		PodSelector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []struct {
			From []struct {
				NamespaceSelector *struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"namespaceSelector"`
				PodSelector any `yaml:"podSelector"`
				IPBlock     any `yaml:"ipBlock"`
			} `yaml:"from"`
			Ports []struct {
				Port any `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

// TestNetworkPolicy: each manifest admits only the monitoring namespace, and only to the
// listener's port, into the notifier's pods — any other pod of the cluster reaches neither
// the status page nor POST /-/reload.
func TestNetworkPolicy(t *testing.T) {
	for file, deployment := range map[string]string{
		"kubernetes/notifier-file.yaml": "notifier", "kubernetes/notifier-nats-kv.yaml": "notifier-kv",
	} {
		t.Run(deployment, func(t *testing.T) {
			d := manifest(t, file)["Deployment/"+deployment]
			pod := d.Spec.Template.Spec.Containers[0]
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var np *networkPolicy
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for {
				var o networkPolicy
				if err := dec.Decode(&o); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				if o.Kind == "NetworkPolicy" {
					np = &o
				}
			}
			if np == nil {
				t.Fatalf("no NetworkPolicy in %s", file)
			}
			if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != deployment || len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != "Ingress" {
				t.Errorf("the policy selects %v for %v, want the %s pods, Ingress", np.Spec.PodSelector.MatchLabels, np.Spec.PolicyTypes, deployment)
			}
			if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 1 || len(np.Spec.Ingress[0].Ports) != 1 {
				t.Fatalf("want one ingress rule, from one peer, to one port: %+v", np.Spec.Ingress)
			}
			peer, port := np.Spec.Ingress[0].From[0], np.Spec.Ingress[0].Ports[0].Port
			if peer.NamespaceSelector == nil || peer.PodSelector != nil || peer.IPBlock != nil ||
				len(peer.NamespaceSelector.MatchLabels) != 1 || peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
				t.Errorf("the policy admits %+v, want the monitoring namespace only", peer)
			}
			if port != pod.Ports[0].Name && port != pod.Ports[0].ContainerPort {
				t.Errorf("the policy opens port %v, want the listener's (%s, %d)", port, pod.Ports[0].Name, pod.Ports[0].ContainerPort)
			}
		})
	}
}
