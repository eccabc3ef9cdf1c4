package fakegitlab

import (
	"fmt"
	"slices"
)

// SetGroupMembers replaces the direct members of the group with this full
// path (case-insensitive) while the Server runs, as when someone joins or
// leaves a team: GET /groups/:id/members/all answers with the new members
// from then on (and those of parent groups, as before). New users become
// known to GET /users. Returns an error if there is no such group.
func (s *Server) SetGroupMembers(groupPath string, members []Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(groupPath)
	if g == nil {
		return fmt.Errorf("fakegitlab: no group %q", groupPath)
	}
	g.Members = slices.Clone(members)
	for _, m := range members {
		s.addUser(m)
	}
	return nil
}

// GroupMembers returns the direct members of the group with this full path,
// nil if there is no such group.
func (s *Server) GroupMembers(groupPath string) []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.group(groupPath); g != nil {
		return slices.Clone(g.Members)
	}
	return nil
}
