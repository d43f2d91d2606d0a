package event

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// TypeTest is the CloudEvents type of a synthetic event sent by notifier
// test-notification: no task changed, a person is checking that the alerts arrive.
const TypeTest = "com.huaweicloud.dcs.notifier.test"

// TestSubjectSuffix ends the NATS subject of a test event, {subject_prefix}._notifier.test:
// under {subject_prefix}.> (so a stream taking the notifier's subjects stores it), yet no
// consumer of {subject_prefix}.{project}.> or of a task name receives it by accident.
const TestSubjectSuffix = "_notifier.test"

// TestTaskName is the task name a test event carries; the task center uses no such name.
const TestTaskName = "notifierTest"

// IsTest reports whether e is a test event rather than a task transition.
func (e *Event) IsTest() bool { return e.Type == TypeTest }

// NewTest builds a test event for the project in region (its name, dcs.projects[].name,
// may be empty), detected at now. Its id is new
// on every call, so a JetStream stream keeps every drill (the id is the Nats-Msg-Id).
// Its task says what it is, in the fields every rendering shows; its severity is info.
func NewTest(region, projectID, projectName string, now time.Time) Event {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	id := hex.EncodeToString(b[:])
	now = now.UTC()
	task, _ := json.Marshal(map[string]string{
		"id":         "test-" + id,
		"name":       TestTaskName,
		"status":     "TEST",
		"user_name":  "notifier test-notification",
		"created_at": now.Format(time.RFC3339),
	})
	return Event{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          Source(region, projectID),
		Type:            TypeTest,
		Subject:         TestSubjectSuffix,
		Time:            now,
		DataContentType: ContentType,
		Data: Data{
			ProjectID: projectID, ProjectName: projectName, Region: region, Task: task, Severity: Info, DetectedAt: now,
			TaskName: TestTaskName, Status: "TEST",
		},
	}
}
