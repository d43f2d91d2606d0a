package dcssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPlayRunsStepsInOrder(t *testing.T) {
	s := New(Options{})
	var got []string
	step := func(name string, after time.Duration) Step {
		return Step{After: after, Do: func(*Sim) { got = append(got, name) }, Say: name}
	}
	sc := Script{step("c", 2*time.Millisecond), step("a", 0), step("b1", time.Millisecond), step("b2", time.Millisecond), {After: 3 * time.Millisecond}}
	var said []string
	if err := s.Play(t.Context(), sc.Narrated(func(line string) { said = append(said, line) })); err != nil {
		t.Fatalf("Play = %v", err)
	}
	if want := []string{"a", "b1", "b2", "c"}; !slices.Equal(got, want) || !slices.Equal(said, want) {
		t.Errorf("ran %v, said %v, want %v", got, said, want)
	}
}

func TestPlayStopsOnCancel(t *testing.T) {
	s := New(Options{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := 0
	sc := Script{
		{After: 0, Do: func(*Sim) { ran++; cancel() }},
		{After: time.Hour, Do: func(*Sim) { ran++ }},
	}
	if err := s.Play(ctx, sc); !errors.Is(err, context.Canceled) {
		t.Errorf("Play = %v, want context.Canceled", err)
	}
	if ran != 1 {
		t.Errorf("%d steps ran, want 1", ran)
	}
	if err := s.Play(ctx, sc); !errors.Is(err, context.Canceled) || ran != 1 {
		t.Errorf("Play on a cancelled context = %v after %d steps, want context.Canceled before any", err, ran)
	}
}

func TestDemoScript(t *testing.T) {
	sc := DemoScript(testProject, t0, 0)
	if last := sc[len(sc)-1].After; last < 50*time.Second || last > 70*time.Second {
		t.Errorf("script lasts %v, want about a minute", last)
	}
	if !reflect.DeepEqual(tasksAfter(sc), tasksAfter(DemoScript(testProject, t0, time.Millisecond))) {
		t.Error("the tasks depend on the scale")
	}

	// Step by step, without timers: record each task's statuses as they change.
	s := New(Options{Now: func() time.Time { return t0 }})
	seen := map[string][]string{}
	for _, st := range sc {
		if st.Do != nil {
			st.Do(s)
		}
		for _, task := range s.Tasks(testProject) {
			if h := seen[task.Name]; len(h) == 0 || h[len(h)-1] != task.Status {
				seen[task.Name] = append(h, task.Status)
			}
			if task.CreatedAt.Before(t0) || task.CreatedAt.After(t0.Add(time.Minute)) {
				t.Errorf("%s created at %v, outside the script's minute", task.Name, task.CreatedAt)
			}
		}
	}
	want := map[string][]string{
		"EXTEND":               {"RUNNING", "SUCCESS"},
		"BindEip":              {"RUNNING", "SUCCESS"},
		"masterStandbySwapJob": {"RUNNING", "FAILED"},
		"modify":               {"SUCCESS"},
		"AddReplica":           {"RUNNING", "ROLLING_BACK", "SUCCESS"},
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("status histories %v, want %v", seen, want)
	}
	for _, task := range s.Tasks(testProject) {
		if len(task.ID) != 32 || len(task.JobID) != 32 {
			t.Errorf("%s: id %q job_id %q, want 32 hex digits", task.Name, task.ID, task.JobID)
		}
		switch task.Name {
		case "EXTEND":
			if task.Details["old_capacity"] != 0.125 || task.Details["new_capacity"] != 0.25 {
				t.Errorf("EXTEND details %v", task.Details)
			}
		case "masterStandbySwapJob":
			if task.ErrorCode == "" {
				t.Error("failed switchover has no error_code")
			}
		}
	}
}

// tasksAfter plays sc without timers and returns the resulting tasks.
func tasksAfter(sc Script) []Task {
	s := New(Options{})
	for _, st := range sc {
		if st.Do != nil {
			st.Do(s)
		}
	}
	return s.Tasks(testProject)
}

// TestConcurrentUse plays the demo quickly while clients page through the project.
func TestConcurrentUse(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.PutAll(testProject, SeedHistory(testProject, 200, t0.Add(-24*time.Hour), t0))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for offset := 0; ; offset = (offset + 50) % 250 {
				select {
				case <-done:
					return
				default:
				}
				// Not get: t.Fatal must not be called from this goroutine.
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s%s?offset=%d&limit=50", srv.URL, tasksPath, offset), nil)
				req.Header.Set("Authorization", "SDK-HMAC-SHA256 x")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("status %d, read error %v", resp.StatusCode, err)
					return
				}
			}
		})
	}
	err := s.Play(t.Context(), DemoScript(testProject, t0, 100*time.Microsecond))
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Tasks(testProject)); n != 205 {
		t.Errorf("%d tasks, want 205", n)
	}
}

func TestSeedHistory(t *testing.T) {
	oldest, newest := t0.AddDate(0, 0, -30), t0
	ts := SeedHistory(testProject, 1000, oldest, newest)
	if !reflect.DeepEqual(ts, SeedHistory(testProject, 1000, oldest, newest)) {
		t.Fatal("SeedHistory is not deterministic")
	}
	ids := map[string]bool{}
	for i, task := range ts {
		if task.Status != "SUCCESS" || task.CreatedAt.Before(oldest) || task.CreatedAt.After(newest) ||
			!task.UpdatedAt.After(task.CreatedAt) || ids[task.ID] {
			t.Fatalf("task %d is off: %+v", i, task)
		}
		if i > 0 && newer(ts[i-1], task) > 0 {
			t.Fatalf("task %d is newer than task %d", i, i-1)
		}
		ids[task.ID] = true
	}
}

func BenchmarkList(b *testing.B) {
	s := New(Options{})
	s.PutAll(testProject, SeedHistory(testProject, 10000, t0.AddDate(0, 0, -90), t0))
	req := httptest.NewRequest(http.MethodGet, tasksPath+"?offset=100&limit=100&start_time="+win(t0.AddDate(0, 0, -30)), nil)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 x")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
