package deploy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"notifier/internal/config"
	"notifier/internal/secret"
)

// object is the part of a Kubernetes object the test reads.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`       // ConfigMap
	StringData map[string]string `yaml:"stringData"` // Secret
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type string `yaml:"type"`
		} `yaml:"strategy"`
		Template struct {
			Metadata struct {
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    int   `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		PVC *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type container struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		ValueFrom struct {
			SecretKeyRef struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	LivenessProbe   probe `yaml:"livenessProbe"`
	ReadinessProbe  probe `yaml:"readinessProbe"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// manifest reads every object of a multi-document YAML file, by kind and name.
func manifest(t *testing.T, file string) map[string]object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]object{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out[o.Kind+"/"+o.Metadata.Name] = o
	}
}

// TestKubernetes checks each manifest as a cluster and the notifier would take it: the
// ConfigMap's config loads with the notifier's own loader and listens where the probes
// and the scrape look; every secret it reads comes from the Secret, and reading them
// succeeds; the pod runs as non-root on a read-only root filesystem; the file backend
// keeps its state on the PersistentVolumeClaim with one replica, nats-kv runs three.
func TestKubernetes(t *testing.T) {
	for _, tt := range []struct {
		file, deployment string
		replicas         int
		backend          string
	}{
		{"kubernetes/notifier-file.yaml", "notifier", 1, "file"},
		{"kubernetes/notifier-nats-kv.yaml", "notifier-kv", 3, "nats-kv"},
	} {
		t.Run(tt.backend, func(t *testing.T) {
			objs := manifest(t, tt.file)
			d, ok := objs["Deployment/"+tt.deployment]
			if !ok {
				t.Fatalf("no Deployment %s in %s", tt.deployment, tt.file)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas != tt.replicas {
				t.Errorf("replicas = %v, want %d", d.Spec.Replicas, tt.replicas)
			}
			pod := d.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			c := pod.Containers[0]
			if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser == 0 {
				t.Error("the pod must run as a non-root user")
			}
			if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
				t.Error("the container needs readOnlyRootFilesystem and no privilege escalation")
			}
			if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("probes on %q and %q, want /healthz and /readyz", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path)
			}

			// The config: mounted from the ConfigMap at the path --config names.
			i := slices.Index(c.Args, "--config")
			if len(c.Args) < 2 || c.Args[0] != "run" || i < 0 || i+1 >= len(c.Args) {
				t.Fatalf("args %v, want run --config FILE", c.Args)
			}
			cfgPath := c.Args[i+1]
			mounts := map[string]string{} // mount path -> volume
			for _, m := range c.VolumeMounts {
				mounts[m.MountPath] = m.Name
			}
			var toml string
			for _, v := range pod.Volumes {
				if v.ConfigMap != nil && mounts[path.Dir(cfgPath)] == v.Name {
					toml = objs["ConfigMap/"+v.ConfigMap.Name].Data[path.Base(cfgPath)]
				}
			}
			if toml == "" {
				t.Fatalf("--config %s is not a key of a ConfigMap mounted at %s", cfgPath, path.Dir(cfgPath))
			}
			cfg, err := config.Load([]byte(toml))
			if err != nil {
				t.Fatalf("the ConfigMap's config does not load: %v", err)
			}
			if cfg.State.Backend != tt.backend {
				t.Errorf("state.backend = %q, want %q", cfg.State.Backend, tt.backend)
			}
			if tt.backend == "file" {
				if d.Spec.Strategy.Type != "Recreate" {
					t.Error("one file-state replica at a time: strategy Recreate")
				}
				vol := mounts[cfg.State.Path]
				claimed := false
				for _, v := range pod.Volumes {
					if v.Name == vol && v.PVC != nil {
						_, claimed = objs["PersistentVolumeClaim/"+v.PVC.ClaimName]
					}
				}
				if !claimed {
					t.Errorf("state.path %s is not on a PersistentVolumeClaim of this manifest", cfg.State.Path)
				}
			}

			// Listening where the probes and Prometheus look.
			host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
			if err != nil || (host != "0.0.0.0" && host != "" && host != "::") {
				t.Errorf("http.listen = %q: unreachable from outside the pod", cfg.HTTP.Listen)
			}
			if len(c.Ports) != 1 || strconv.Itoa(c.Ports[0].ContainerPort) != port {
				t.Errorf("containerPort %v, want http.listen's %s", c.Ports, port)
			}
			for _, p := range []any{c.LivenessProbe.HTTPGet.Port, c.ReadinessProbe.HTTPGet.Port} {
				if p != c.Ports[0].Name && p != c.Ports[0].ContainerPort {
					t.Errorf("a probe's port %v is not the container's %s", p, port)
				}
			}
			ann := d.Spec.Template.Metadata.Annotations
			if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != port || ann["prometheus.io/path"] != "/metrics" {
				t.Errorf("scrape annotations %v, want scrape, port %s and /metrics", ann, port)
			}

			// Secrets: every variable the config reads comes from a key of a Secret of
			// this manifest, and reading them all succeeds.
			env := map[string]string{}
			for _, e := range c.Env {
				ref := e.ValueFrom.SecretKeyRef
				v, ok := objs["Secret/"+ref.Name].StringData[ref.Key]
				if !ok {
					t.Errorf("env %s: no key %s in a Secret %s of this manifest", e.Name, ref.Key, ref.Name)
				}
				env[e.Name] = v
			}
			getenv := func(k string) string { return env[k] }
			if _, err := cfg.DCS.ReadCredentials(getenv); err != nil {
				t.Errorf("DCS credentials: %v", err)
			}
			if _, err := cfg.NATS.ReadAuth(getenv); err != nil {
				t.Errorf("NATS credentials: %v", err)
			}
			for _, w := range cfg.Slack.Webhooks {
				if s, err := secret.Read(w.URLEnv, w.URLFile, getenv); err != nil || s.Reveal() == "" {
					t.Errorf("slack webhook %s: %v", w.Name, err)
				}
			}
		})
	}
}
