package catalog

import (
	"context"
	"fmt"
)

// ClaimCampaignNotice claims a campaign's one-off notice (a reminder to a
// team, or the final report with team "") for the claimant by: true for
// the one claimant that gets it, once across replicas. The claimant then
// sends it and calls CampaignNoticeSent, or CampaignNoticeFailed to let it
// be claimed again.
func (s *Store) ClaimCampaignNotice(ctx context.Context, campaignID int64, kind, team, by string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO campaign_notices (campaign_id, kind, team, claimed_by, claimed_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, campaignID, kind, team, by, s.now())
	if err != nil {
		return false, fmt.Errorf("claim %s of campaign %d to %q: %w", kind, campaignID, team, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CampaignNoticeSent records that the claimant by sent the notice.
func (s *Store) CampaignNoticeSent(ctx context.Context, campaignID int64, kind, team, by string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE campaign_notices SET sent_at = $5
		WHERE campaign_id = $1 AND kind = $2 AND team = $3 AND claimed_by = $4`, campaignID, kind, team, by, s.now()); err != nil {
		return fmt.Errorf("%s of campaign %d to %q sent: %w", kind, campaignID, team, err)
	}
	return nil
}

// CampaignNoticeFailed releases the claimant by's claim on a notice it
// could not send: it may be claimed again.
func (s *Store) CampaignNoticeFailed(ctx context.Context, campaignID int64, kind, team, by string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM campaign_notices
		WHERE campaign_id = $1 AND kind = $2 AND team = $3 AND claimed_by = $4 AND sent_at IS NULL`, campaignID, kind, team, by); err != nil {
		return fmt.Errorf("%s of campaign %d to %q failed: %w", kind, campaignID, team, err)
	}
	return nil
}

// SwapCampaignMessageHash sets the text hash of team's posted message
// about the campaign to to when it is from: true for the one caller that
// swapped it, which then updates the message in Slack (and swaps back
// should that fail), so that two replicas do not both update it.
func (s *Store) SwapCampaignMessageHash(ctx context.Context, campaignID int64, team, from, to string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE campaign_messages SET hash = $4
		WHERE campaign_id = $1 AND team = $2 AND hash = $3 AND ts <> ''`, campaignID, team, from, to)
	if err != nil {
		return false, fmt.Errorf("message of campaign %d to %s: swap its hash: %w", campaignID, team, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CampaignMessageGone forgets team's posted message ts about the campaign
// (deleted in Slack): it may be claimed and posted again.
func (s *Store) CampaignMessageGone(ctx context.Context, campaignID int64, team, ts string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE campaign_messages SET channel = '', ts = '', hash = '', claimed_by = '', claimed_at = NULL,
		last_error = 'message gone'
		WHERE campaign_id = $1 AND team = $2 AND ts = $3`, campaignID, team, ts); err != nil {
		return fmt.Errorf("message of campaign %d to %s gone: %w", campaignID, team, err)
	}
	return nil
}
