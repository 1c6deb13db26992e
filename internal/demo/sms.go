package demo

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/siyu-scrm/siyu/internal/acquisition"
	"github.com/siyu-scrm/siyu/internal/org"
)

// smsCampaign is the demo's SMS campaign: old customers invited back with a coupon through the
// SMS channel's live code.
const smsCampaign = "老客回访券"

// SeedSMS gives the demo tenant the log SMS provider (messages go to the server log, nothing is
// sent) and, once, an SMS campaign to twenty made-up phones through the SMS channel's live code,
// which the server's worker then "sends". base is scheme://host for the recipients' short links.
func SeedSMS(ctx context.Context, orgs *org.Service, acq *acquisition.Service, out *acquisition.Outreach, base string, log *slog.Logger) error {
	owner, _, err := OwnerContext(ctx, orgs)
	if err != nil {
		return err
	}
	st, err := out.Settings(owner)
	if err != nil {
		return err
	}
	if st.Provider == "" {
		if _, err := out.SetSettings(owner, acquisition.SMSSettingsInput{Provider: "log", RatePerSecond: 20}); err != nil {
			return fmt.Errorf("demo: sms settings: %w", err)
		}
	}
	camps, err := out.Campaigns(owner)
	if err != nil {
		return err
	}
	for _, c := range camps {
		if c.Name == smsCampaign {
			return nil
		}
	}
	codes, err := acq.Codes(owner, 0)
	if err != nil {
		return err
	}
	var codeID int64
	if wc := newWorld().channel("sms-coupon"); wc != nil {
		for _, c := range codes {
			if c.Name == wc.remark {
				codeID = c.ID
			}
		}
	}
	if codeID == 0 {
		return nil // no SMS code in this demo
	}
	var rs []acquisition.RecipientInput
	for i := range 20 {
		rs = append(rs, acquisition.RecipientInput{Phone: fmt.Sprintf("+86139%08d", 10000+i*37), Name: fmt.Sprintf("会员%02d", i+1)})
	}
	c, err := out.CreateCampaign(owner, acquisition.CampaignInput{Name: smsCampaign, CodeID: codeID,
		Template: "{name}您好，思语生活送您一张20元回访券，点击 {link} 添加专属顾问领取", Recipients: rs}, base)
	if err != nil {
		return fmt.Errorf("demo: sms campaign: %w", err)
	}
	log.Info("demo: sms campaign created (log provider)", "campaign", c.ID, "recipients", c.Recipients)
	return nil
}
