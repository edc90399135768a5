package asc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// IAPService lists and submits in-app purchases (v2, resource type
// "inAppPurchases").
type IAPService service

// List returns the app's in-app purchases (all pages).
// GET /v1/apps/{id}/inAppPurchasesV2
func (s *IAPService) List(ctx context.Context, appID string) ([]InAppPurchase, *Response, error) {
	q := query{}.set("fields[inAppPurchases]", iapFields...).setInt("limit", 200)
	var out []InAppPurchase
	resp, err := s.client.getAll(ctx, "/v1/apps/"+url.PathEscape(appID)+"/inAppPurchasesV2", q, func(doc *Document) error {
		rs, err := manyOf(doc, "inAppPurchases")
		if err != nil {
			return err
		}
		for i := range rs {
			p, err := iapFrom(&rs[i])
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, resp, fmt.Errorf("listing in-app purchases of app %s: %w", appID, err)
	}
	return out, resp, nil
}

// iapFields are the in-app purchase attributes the bot reads.
var iapFields = []string{"name", "productId", "inAppPurchaseType", "state"}

func iapFrom(r *Resource) (InAppPurchase, error) {
	var a struct {
		Name              string             `json:"name"`
		ProductID         string             `json:"productId"`
		InAppPurchaseType string             `json:"inAppPurchaseType"`
		State             InAppPurchaseState `json:"state"`
	}
	if err := r.DecodeAttributes(&a); err != nil {
		return InAppPurchase{}, err
	}
	return InAppPurchase{ID: r.ID, Name: a.Name, ProductID: a.ProductID, Type: a.InAppPurchaseType, State: a.State}, nil
}

// Submit submits a READY_TO_SUBMIT in-app purchase for review.
// POST /v1/inAppPurchaseSubmissions (relationship inAppPurchaseV2, type "inAppPurchases")
func (s *IAPService) Submit(ctx context.Context, iapID string) (*Response, error) {
	body := reqDoc{Data: reqResource{
		Type:          "inAppPurchaseSubmissions",
		Relationships: map[string]reqRel{"inAppPurchaseV2": relOne("inAppPurchases", iapID)},
	}}
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/inAppPurchaseSubmissions", body, nil)
	if err != nil {
		return resp, fmt.Errorf("submitting in-app purchase %s: %w", iapID, err)
	}
	return resp, nil
}
