package slacksink

import (
	"slices"

	"github.com/slack-go/slack"
)

// withWindow adds to a rendered message, above its footer, the context line "during
// maintenance window NAME": the event's task started in a window that muted this
// webhook ([[mute]]), so its earlier events were never posted here. window "" (or a
// message without the blocks of an event) leaves msg as it is.
func withWindow(msg *slack.WebhookMessage, window string) {
	if window == "" || len(msg.Attachments) != 1 {
		return
	}
	blocks := msg.Attachments[0].Blocks.BlockSet
	if len(blocks) == 0 || len(blocks) >= maxBlocks {
		return
	}
	line := slack.NewContextBlock("", mrkdwn(":wrench: during maintenance window "+escape(window)))
	msg.Attachments[0].Blocks.BlockSet = slices.Insert(slices.Clone(blocks), len(blocks)-1, slack.Block(line))
}
