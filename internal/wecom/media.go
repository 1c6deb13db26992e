package wecom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
)

// Media types for media/upload and the validity of a temporary media id.
const (
	MediaImage = "image"
	MediaVoice = "voice"
	MediaVideo = "video"
	MediaFile  = "file"

	// MediaTTLDays is how long a temporary media id stays valid.
	MediaTTLDays = 3
	// maxUpload is the largest file WeCom accepts (files ≤ 20 MB; images and voice less).
	maxUpload = 20 << 20
)

// UploadMediaResponse is the answer of media/upload. CreatedAt is Unix seconds (WeCom sends it
// as a string).
type UploadMediaResponse struct {
	Type      string    `json:"type"`
	MediaID   string    `json:"media_id"`
	CreatedAt FlexInt64 `json:"created_at"`
}

// UploadMedia uploads a temporary file (valid 3 days) for use in messages (POST media/upload,
// multipart field "media"). The file is read into memory so the request can be retried.
func (c *Client) UploadMedia(ctx context.Context, mediaType, filename string, r io.Reader) (*UploadMediaResponse, error) {
	body, ct, err := multipartBody(filename, r)
	if err != nil {
		return nil, fmt.Errorf("wecom: media/upload: %w", err)
	}
	var resp UploadMediaResponse
	req := request{method: http.MethodPost, path: "media/upload", query: url.Values{"type": {mediaType}}, body: body, contentType: ct}
	if err := c.call(ctx, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// UploadImage uploads a permanent image and returns its URL, usable as pic_url (POST
// media/uploadimg; jpg/png, ≤ 2 MB).
func (c *Client) UploadImage(ctx context.Context, filename string, r io.Reader) (string, error) {
	body, ct, err := multipartBody(filename, r)
	if err != nil {
		return "", fmt.Errorf("wecom: media/uploadimg: %w", err)
	}
	var resp struct {
		URL string `json:"url"`
	}
	if err := c.call(ctx, request{method: http.MethodPost, path: "media/uploadimg", body: body, contentType: ct}, &resp); err != nil {
		return "", err
	}
	return resp.URL, nil
}

func multipartBody(filename string, r io.Reader) ([]byte, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxUpload+1))
	if err != nil {
		return nil, "", fmt.Errorf("read file: %w", err)
	}
	if len(data) > maxUpload {
		return nil, "", fmt.Errorf("file larger than %d bytes", maxUpload)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("media", filename)
	if err != nil {
		return nil, "", err
	}
	if _, err := fw.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
