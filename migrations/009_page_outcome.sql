-- A page's outcome may be unknown: PagerDuty did not answer in time but the
-- request may have reached it. Such a page is 'unknown' until its incident
-- is found by its dedup key (-> 'sent') or PagerDuty is known to hold none
-- (-> 'failed').
ALTER TABLE pages DROP CONSTRAINT pages_state_check;
ALTER TABLE pages ADD CONSTRAINT pages_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'expired'));

-- claimed_at: when the page was last claimed to be sent. Claims of one
-- service's pages are serialised (a transaction-scoped advisory lock on the
-- service, held only while claiming, never across the call to PagerDuty):
-- a claim is refused while another page of the service claimed in the last
-- five minutes is sending, unknown or sent, unless the requester was shown
-- that page and chose to page again.
ALTER TABLE pages ADD COLUMN claimed_at timestamptz;
UPDATE pages SET claimed_at = COALESCE(sent_at, updated_at) WHERE state IN ('sending', 'sent', 'failed');

-- "Which page of this service was claimed last, and is it still in play?"
CREATE INDEX pages_service_claimed_idx ON pages (service_id, claimed_at DESC)
    WHERE state IN ('sending', 'unknown', 'sent');
