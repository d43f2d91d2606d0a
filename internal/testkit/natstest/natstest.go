// Package natstest starts real NATS servers in the test process: a single JetStream
// server, or a JetStream cluster of several nodes on loopback that can lose and regain a
// node. It is for tests only.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a JetStream cluster on loopback.
type Cluster struct {
	t       testing.TB
	name    string
	opts    []*server.Options
	Servers []*server.Server // nil while a node is stopped
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// NewCluster starts n JetStream nodes clustered over loopback and waits until JetStream
// has a meta leader. The nodes stop when the test ends.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, name: "C" + strings.ReplaceAll(t.Name(), "/", "_")}
	routes := make([]*url.URL, n)
	clusterPorts := make([]int, n)
	for i := range n {
		clusterPorts[i] = freePort(t)
		routes[i] = &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", clusterPorts[i])}
	}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1, // the kernel picks; Start records it for restarts
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: c.name,
				Host: "127.0.0.1",
				Port: clusterPorts[i],
			},
			Routes: routes,
		}
		c.opts = append(c.opts, o)
	}
	c.Servers = make([]*server.Server, n)
	for i := range n {
		c.Start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	c.WaitReady()
	return c
}

// Start starts (or restarts) node i on its old ports and store.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		c.t.Fatalf("node %d not ready", i)
	}
	c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	c.Servers[i] = s
}

// Stop shuts node i down.
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
	c.Servers[i] = nil
}

// WaitReady waits until every running node is routed to the others and current, and the
// meta leader knows every running node as a JetStream peer.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	running := 0
	for _, s := range c.Servers {
		if s != nil {
			running++
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ok := hasMetaLeader(c.Servers)
		for _, s := range c.Servers {
			if s == nil {
				continue
			}
			// Only the meta leader answers with the peers.
			if s.NumRoutes() < running-1 || !s.JetStreamIsCurrent() ||
				s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) < running {
				ok = false
			}
		}
		if ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, s := range c.Servers {
		if s != nil {
			c.t.Logf("node %d: routes %d peers %v current %v leader %v", i, s.NumRoutes(), s.JetStreamClusterPeers(), s.JetStreamIsCurrent(), s.JetStreamIsLeader())
		}
	}
	c.t.Fatal("jetstream cluster not ready: routes, peers or meta leader missing")
}

// URL returns a comma-separated list of every node's client URL, for clients that must
// survive the loss of any one node.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

func hasMetaLeader(ss []*server.Server) bool {
	for _, s := range ss {
		if s != nil && s.JetStreamIsLeader() {
			return true
		}
	}
	return false
}
