package slacksink

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"notifier/internal/event"
)

// testTag starts every rendering of a test event (event.TypeTest), so nobody mistakes a
// drill for an incident, in the notification as in the channel.
const testTag = "[TEST]"

// testColor is the attachment colour of a test message: Slack's blue, no outcome's colour.
const testColor = "#1D9BD1"

// renderTest is Render for a test event: a headline marked [TEST] and what the message
// is, with the facts that tell which notifier sent it.
func renderTest(e *event.Event) slack.WebhookMessage {
	headline := fmt.Sprintf("%s 🧪 *Test notification from dcs-notifier* · %s", testTag, value(string(e.Data.Severity)))
	if r := value(e.Data.Region); r != "" {
		headline += " · " + r
	}
	t := parseTask(e.Data.Task)
	blocks := []slack.Block{mrkdwnSection("This is a test sent by `notifier test-notification` to check that " +
		"alerts reach this channel. No DCS task changed; nothing needs doing.")}
	blocks = append(blocks, fieldSections([]fact{
		{"Project", value(e.Data.ProjectName)},
		{"Project id", code(e.Data.ProjectID)},
		{"Region", value(e.Data.Region)},
		{"Sent by", value(t.str("user_name"))},
		{"Sent", showTime(e.Time, "", time.Time{})},
	})...)
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn("Event "+code(e.ID)+" · type "+code(e.Type))))
	return message(headline, testColor, blocks)
}
