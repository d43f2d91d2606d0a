package metrics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The families labelled by project hold a series per watched project, and a fleet has
// a thousand projects or more: client_golang's vectors cost several kilobytes of live
// heap per project for them (a child for every series, with its own label pairs,
// created timestamp, exemplar slots and, for a histogram, two sets of counts). The
// families of project_counter.go, project_gauge.go and project_histogram.go keep an
// atomic value per series and its label pairs, shared by every series of a project
// (labelPairs), and write each series at scrape time. What they expose is what
// the client_golang vectors exposed (testdata/exposition*.txt), created timestamps
// included.
//
// Each series is its own prometheus.Metric, written straight into the scrape's
// dto.Metric, rather than a metric made with prometheus.MustNewConstMetric at every
// scrape, as exporters usually do: with a thousand projects that would make the label
// pairs of every series afresh at every scrape, and the scrape's gathered families
// would take half as much heap again as the client_golang vectors did.

// value is a float64 updated atomically, as client_golang keeps a gauge's. A counter
// uses one too, where client_golang adds whole increments to an integer apart: every
// increment here is a whole number, and a float64 sums them exactly up to 2^53.
type value struct {
	bits atomic.Uint64
}

func (v *value) get() float64 { return math.Float64frombits(v.bits.Load()) }

func (v *value) set(f float64) { v.bits.Store(math.Float64bits(f)) }

func (v *value) add(d float64) {
	for {
		old := v.bits.Load()
		if v.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// labelPairs interns the label pairs of the series by project: the pair of a project
// (project="<id>") is made once and shared by all its series, in every family, and the
// pair of a second label's value (result="ok", code="200") by every series with it. A
// series keeps its pairs ready for every scrape at the cost of a pointer or two.
//
// Pairs are never removed: the counters of a project that is no longer watched stay
// (a reload keeps them), and so does its pair, which is all a project costs here once
// its series are gone.
type labelPairs struct {
	mu sync.Mutex
	m  map[[2]string]*labelPair // by name and value
}

// labelPair is an interned label pair, with a list of just itself: the labels of a
// series labelled by project alone, shared by all of them.
type labelPair struct {
	name, value string
	pair        dto.LabelPair
	alone       [1]*dto.LabelPair
}

func newLabelPairs() *labelPairs { return &labelPairs{m: map[[2]string]*labelPair{}} }

// get returns the pair of name and value. It panics, as client_golang's WithLabelValues
// does, if the value is not valid UTF-8, which would fail every scrape.
func (ls *labelPairs) get(name, value string) *labelPair {
	if !utf8.ValidString(value) {
		panic(fmt.Errorf("label value %q is not valid UTF-8", value))
	}
	k := [2]string{name, value}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if p := ls.m[k]; p != nil {
		return p
	}
	p := &labelPair{name: name, value: value}
	p.pair.Name, p.pair.Value = &p.name, &p.value
	p.alone[0] = &p.pair
	ls.m[k] = p
	return p
}

// sorted returns the pairs in the order of their names, the order of a dto.Metric's
// labels.
func sorted(ps ...*dto.LabelPair) []*dto.LabelPair {
	slices.SortFunc(ps, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return ps
}

// series holds the series of one family by their label values (K: the project's id,
// or the project's id and the second label's value). Looking up an existing series
// takes a read lock and does not allocate: every poll of every project does it.
type series[K comparable, C any] struct {
	mu sync.RWMutex
	m  map[K]*C
}

func newSeries[K comparable, C any]() series[K, C] { return series[K, C]{m: map[K]*C{}} }

// load returns the series of k, nil when there is none.
func (s *series[K, C]) load(k K) *C {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[k]
}

// store makes c the series of k and returns it, unless another was stored first: then
// it returns that one, which every caller must share.
func (s *series[K, C]) store(k K, c *C) *C {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[k]; old != nil {
		return old
	}
	s.m[k] = c
	return c
}

// delete removes the series of k and says whether there was one.
func (s *series[K, C]) delete(k K) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	delete(s.m, k)
	return ok
}

// all returns every series, so that a scrape writes them without holding the lock,
// which would keep a new project from its first series meanwhile.
func (s *series[K, C]) all() []*C {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*C, 0, len(s.m))
	for _, c := range s.m {
		out = append(out, c)
	}
	return out
}

// collect sends every series of s to ch.
func collect[K comparable, C any, M interface {
	*C
	prometheus.Metric
}](s *series[K, C], ch chan<- prometheus.Metric) {
	for _, c := range s.all() {
		ch <- M(c)
	}
}

// createdAt is a created timestamp as dto wants it.
func createdAt(unixNano int64) *timestamppb.Timestamp {
	return &timestamppb.Timestamp{Seconds: unixNano / 1e9, Nanos: int32(unixNano % 1e9)}
}
