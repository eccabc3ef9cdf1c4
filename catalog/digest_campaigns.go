package catalog

import (
	"context"
	"slices"
	"strings"
	"time"
)

// OverdueCampaign is an open campaign past its deadline, for the digest:
// the services it still has open, by team.
type OverdueCampaign struct {
	Name, Title string
	Deadline    time.Time
	// Left is how many services are open, by team name ("" for those with
	// no team); a team with none left is absent.
	Left map[string]int
}

// Total is how many services are left over all teams.
func (o OverdueCampaign) Total() int {
	n := 0
	for _, v := range o.Left {
		n += v
	}
	return n
}

// digestOverdueCampaigns reads the open campaigns past their deadline at
// d.Now with services left, by deadline; a group's digest keeps the teams
// whose GitLab group lies in it.
func (s *Store) digestOverdueCampaigns(ctx context.Context, d *Digest) error {
	rows, err := s.pool.Query(ctx, `
		SELECT c.name, c.title, c.deadline, coalesce(t.name, ''), count(*)
		FROM campaigns c
		JOIN campaign_services cs ON cs.campaign_id = c.id AND cs.status = 'open'
		JOIN services s ON s.id = cs.service_id
		LEFT JOIN teams t ON t.id = s.team_id
		WHERE c.closed_at IS NULL AND c.deadline < $1
		GROUP BY c.name, c.title, c.deadline, t.name
		ORDER BY c.deadline, c.name`, d.Now)
	if err != nil {
		return err
	}
	defer rows.Close()
	inGroup := d.groupTeams()
	var out []OverdueCampaign
	for rows.Next() {
		var o OverdueCampaign
		var team string
		var n int
		if err := rows.Scan(&o.Name, &o.Title, &o.Deadline, &team, &n); err != nil {
			return err
		}
		if inGroup != nil && !inGroup[strings.ToLower(team)] {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Name != o.Name {
			o.Left = map[string]int{}
			out = append(out, o)
		}
		out[len(out)-1].Left[team] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	d.OverdueCampaigns = out
	return nil
}

// overdueForTeam keeps the campaigns team has services left in, with only
// its count.
func overdueForTeam(campaigns []OverdueCampaign, team string) []OverdueCampaign {
	var out []OverdueCampaign
	for _, o := range campaigns {
		for t, n := range o.Left {
			if strings.EqualFold(t, team) {
				o.Left = map[string]int{t: n}
				out = append(out, o)
				break
			}
		}
	}
	return slices.Clip(out)
}
