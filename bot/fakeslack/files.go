package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// maxUpload is the largest file the fake takes (Slack's limit is 1 GB).
const maxUpload = 64 << 20

// File is a file uploaded through Slack's upload flow
// (files.getUploadURLExternal, a POST of the bytes to the URL it gave,
// files.completeUploadExternal), as slack-go's UploadFileContext does it.
type File struct {
	ID       string
	Name     string
	Title    string
	Length   int
	Content  []byte
	Uploaded bool
	// Channel is where files.completeUploadExternal shared it; empty until
	// then.
	Channel        string
	InitialComment string
	ThreadTS       string
}

// Files returns the files completed (shared in a channel or DM), in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, id := range s.fileOrder {
		if f := s.files[id]; f.Channel != "" {
			out = append(out, *f)
		}
	}
	return out
}

// getUploadURL is files.getUploadURLExternal: a file id and the URL its
// bytes go to. Slack requires filename and length.
func (s *Server) getUploadURL(get func(string) string) map[string]any {
	name, length := get("filename"), get("length")
	n, err := strconv.Atoi(length)
	switch {
	case name == "":
		return map[string]any{"ok": false, "error": "invalid_arguments", "response_metadata": map[string]any{"messages": []string{"[ERROR] missing required field: filename"}}}
	case err != nil || n <= 0:
		return map[string]any{"ok": false, "error": "invalid_arguments", "response_metadata": map[string]any{"messages": []string{"[ERROR] missing required field: length"}}}
	case n > maxUpload:
		return map[string]any{"ok": false, "error": "file_too_large"}
	}
	if s.files == nil {
		s.files = map[string]*File{}
	}
	s.fileSeq++
	id := fmt.Sprintf("F%08d", s.fileSeq)
	s.files[id] = &File{ID: id, Name: name, Length: n}
	s.fileOrder = append(s.fileOrder, id)
	return map[string]any{"ok": true, "file_id": id, "upload_url": s.srv.URL + "/upload/v1/" + id}
}

// upload takes a file's bytes at the URL getUploadURL gave: a multipart
// form with a "file" part (as slack-go sends it) or the raw body.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/v1/")
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var body io.Reader = r.Body
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				http.Error(w, "no file part", http.StatusBadRequest)
				return
			}
			if p.FormName() == "file" {
				body = p
				break
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(body, maxUpload+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f, ok := s.files[id]
	if ok {
		f.Content, f.Uploaded = data, true
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, "OK - %d", len(data))
}

// completeUpload is files.completeUploadExternal: each file must have
// been uploaded, with the length announced, and is shared in channel_id.
func (s *Server) completeUpload(get func(string) string) map[string]any {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(get("files")), &files); err != nil || len(files) == 0 {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	ch := get("channel_id")
	if ch != "" && !s.knownConversation(ch) {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	var out []map[string]any
	for _, in := range files {
		f, ok := s.files[in.ID]
		if !ok || !f.Uploaded {
			return map[string]any{"ok": false, "error": "file_not_found"}
		}
		if len(f.Content) != f.Length {
			return map[string]any{"ok": false, "error": "file_upload_size_mismatch"}
		}
		out = append(out, map[string]any{"id": f.ID, "title": in.Title})
	}
	for _, in := range files {
		f := s.files[in.ID]
		f.Title, f.Channel, f.InitialComment, f.ThreadTS = in.Title, ch, get("initial_comment"), get("thread_ts")
		if ch == "" {
			f.Channel = "(private)" // uploaded, shared nowhere
		}
	}
	return map[string]any{"ok": true, "files": out}
}

// knownConversation: a channel the fake has, or a DM it opened.
func (s *Server) knownConversation(id string) bool {
	if _, ok := s.channels[id]; ok {
		return true
	}
	if u, ok := strings.CutPrefix(id, "D"); ok {
		_, ok := s.users[u]
		return ok
	}
	return false
}

// openConversation is conversations.open with users: the DM's id is "D"
// and the user's id.
func (s *Server) openConversation(get func(string) string) map[string]any {
	users := get("users")
	if users == "" || strings.Contains(users, ",") {
		return map[string]any{"ok": false, "error": "not_implemented"}
	}
	if _, ok := s.users[users]; !ok {
		return map[string]any{"ok": false, "error": "user_not_found"}
	}
	return map[string]any{"ok": true, "channel": map[string]any{"id": "D" + users, "is_im": true}}
}
