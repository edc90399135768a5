package asc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// LocalizationsService manages a version's localized metadata (resource type
// "appStoreVersionLocalizations").
type LocalizationsService service

type localizationAttrs struct {
	Locale   string `json:"locale"`
	WhatsNew string `json:"whatsNew"`
}

func localizationFrom(r *Resource) (Localization, error) {
	var a localizationAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return Localization{}, err
	}
	return Localization{ID: r.ID, VersionID: r.Rel("appStoreVersion"), Locale: a.Locale, WhatsNew: a.WhatsNew}, nil
}

func decodeLocalization(doc *Document) (*Localization, error) {
	r, err := oneOf(doc, "appStoreVersionLocalizations")
	if err != nil || r == nil {
		return nil, orNull(err)
	}
	l, err := localizationFrom(r)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// List returns the version's localizations (all pages).
// GET /v1/appStoreVersions/{id}/appStoreVersionLocalizations
func (s *LocalizationsService) List(ctx context.Context, versionID string) ([]Localization, *Response, error) {
	q := query{}.set("fields[appStoreVersionLocalizations]", "locale", "whatsNew").setInt("limit", 200)
	var out []Localization
	resp, err := s.client.getAll(ctx, "/v1/appStoreVersions/"+url.PathEscape(versionID)+"/appStoreVersionLocalizations", q, func(doc *Document) error {
		rs, err := manyOf(doc, "appStoreVersionLocalizations")
		if err != nil {
			return err
		}
		for i := range rs {
			l, err := localizationFrom(&rs[i])
			if err != nil {
				return err
			}
			if l.VersionID == "" {
				l.VersionID = versionID
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing localizations of version %s: %w", versionID, err)
	}
	return out, resp, nil
}

// SetWhatsNew replaces the localization's "What's New" text.
// PATCH /v1/appStoreVersionLocalizations/{id}
func (s *LocalizationsService) SetWhatsNew(ctx context.Context, localizationID, text string) (*Localization, *Response, error) {
	body := reqDoc{Data: reqResource{
		Type:       "appStoreVersionLocalizations",
		ID:         localizationID,
		Attributes: map[string]any{"whatsNew": text},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPatch, "/v1/appStoreVersionLocalizations/"+url.PathEscape(localizationID), body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("setting what's new of localization %s: %w", localizationID, err)
	}
	l, err := decodeLocalization(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("setting what's new of localization %s: %w", localizationID, err)
	}
	return l, resp, nil
}

// Create adds a locale to the version; an empty whatsNew is not sent (Apple
// refuses whatsNew on an app's first version).
// POST /v1/appStoreVersionLocalizations
func (s *LocalizationsService) Create(ctx context.Context, versionID, locale, whatsNew string) (*Localization, *Response, error) {
	attrs := map[string]any{"locale": locale}
	if whatsNew != "" {
		attrs["whatsNew"] = whatsNew
	}
	body := reqDoc{Data: reqResource{
		Type:          "appStoreVersionLocalizations",
		Attributes:    attrs,
		Relationships: map[string]reqRel{"appStoreVersion": relOne("appStoreVersions", versionID)},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/appStoreVersionLocalizations", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating %s localization of version %s: %w", locale, versionID, err)
	}
	l, err := decodeLocalization(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating %s localization of version %s: %w", locale, versionID, err)
	}
	if l.VersionID == "" {
		l.VersionID = versionID
	}
	return l, resp, nil
}
