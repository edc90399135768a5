package ascsim

import "time"

// DemoIDs are the ids SeedDemo created.
type DemoIDs struct {
	// KotenOCR (jp.example.kotenocr, en-US + ja).
	AppID           string
	LiveVersionID   string // 1.0.0, READY_FOR_DISTRIBUTION, whatsNew set
	NewVersionID    string // 1.1.0, PREPARE_FOR_SUBMISSION, whatsNew empty
	LiveBuildID     string // 1.0.0 (1), VALID, attached to the live version
	Build3ID        string // 1.1.0 (3), VALID
	Build4ID        string // 1.1.0 (4), VALID, the newest valid build
	Build5ID        string // 1.1.0 (5), PROCESSING
	FailedBuildID   string // 1.1.0 (2), FAILED
	IAPApprovedID   string // approved non-consumable
	IAPReadyID      string // READY_TO_SUBMIT consumable
	SecondAppID     string // Hanko Stamp (jp.example.hanko), first version only
	SecondVersionID string // 1.0, PREPARE_FOR_SUBMISSION, first version
	SecondBuildID   string // 1.0 (1), VALID, export compliance answered
	// TestFlight: each app has an internal group of team members and an
	// external group of outside testers.
	InternalGroupID       string // KotenOCR "Team" (internal): ana@, ken@ (team members)
	ExternalGroupID       string // KotenOCR "Public Beta" (external): two testers
	SecondInternalGroupID string // Hanko Stamp "Team" (internal)
	SecondExternalGroupID string // Hanko Stamp "Friends" (external)
}

// SeedDemo creates a realistic account: the app "KotenOCR" (bundle
// jp.example.kotenocr, locales en-US primary + ja) with live version 1.0.0
// (READY_FOR_DISTRIBUTION, whatsNew in both locales), new version 1.1.0
// (PREPARE_FOR_SUBMISSION, empty whatsNew, no build) and builds for 1.1.0:
// "3" VALID, "4" VALID (newest valid), "5" PROCESSING (newest upload) and "2"
// FAILED, none with export compliance answered; it is available in JPN and
// USA. A second app "Hanko Stamp" has only a first version (no whatsNew
// allowed) with a VALID build. Each app has an internal TestFlight group
// "Team" of team members and an external group ("Public Beta", "Friends")
// with testers. Upload dates are relative to Clock().
func (s *Server) SeedDemo() DemoIDs {
	now := s.now()
	day := 24 * time.Hour
	var ids DemoIDs
	ids.AppID = s.AddApp(App{Name: "KotenOCR", BundleID: "jp.example.kotenocr", SKU: "KOTENOCR", PrimaryLocale: "en-US", Locales: []string{"en-US", "ja"}})
	yes := true
	ids.LiveBuildID = s.AddBuild(ids.AppID, BuildSeed{Version: "1", MarketingVersion: "1.0.0", Uploaded: now.Add(-60 * day), UsesNonExemptEncryption: &yes})
	ids.LiveVersionID = s.AddVersion(ids.AppID, VersionSeed{VersionString: "1.0.0", State: stReady, ReleaseType: "MANUAL",
		Created: now.Add(-62 * day), BuildID: ids.LiveBuildID,
		WhatsNew: map[string]string{"en-US": "First release: read classical Japanese woodblock prints.", "ja": "初回リリース：古典籍の翻刻に対応しました。"}})
	ids.FailedBuildID = s.AddBuild(ids.AppID, BuildSeed{Version: "2", MarketingVersion: "1.1.0", ProcessingState: "FAILED", Uploaded: now.Add(-4 * day)})
	ids.Build3ID = s.AddBuild(ids.AppID, BuildSeed{Version: "3", MarketingVersion: "1.1.0", Uploaded: now.Add(-3 * day)})
	ids.Build4ID = s.AddBuild(ids.AppID, BuildSeed{Version: "4", MarketingVersion: "1.1.0", Uploaded: now.Add(-2 * day)})
	ids.Build5ID = s.AddBuild(ids.AppID, BuildSeed{Version: "5", MarketingVersion: "1.1.0", ProcessingState: "PROCESSING", Uploaded: now.Add(-1 * time.Hour)})
	ids.NewVersionID = s.AddVersion(ids.AppID, VersionSeed{VersionString: "1.1.0", ReleaseType: "MANUAL", Created: now.Add(-5 * day)})
	ids.IAPApprovedID = s.AddIAP(ids.AppID, IAPSeed{Name: "Pro features", ProductID: "jp.example.kotenocr.pro", Type: "NON_CONSUMABLE", State: "APPROVED"})
	ids.IAPReadyID = s.AddIAP(ids.AppID, IAPSeed{Name: "OCR credits", ProductID: "jp.example.kotenocr.credits100", Type: "CONSUMABLE", State: "READY_TO_SUBMIT"})
	_ = s.SetAvailability(ids.AppID, false, []string{"JPN", "USA"})

	ids.SecondAppID = s.AddApp(App{Name: "Hanko Stamp", BundleID: "jp.example.hanko", SKU: "HANKO", PrimaryLocale: "ja", Locales: []string{"ja", "en-US"}})
	no := false
	ids.SecondBuildID = s.AddBuild(ids.SecondAppID, BuildSeed{Version: "1", MarketingVersion: "1.0", Uploaded: now.Add(-1 * day), UsesNonExemptEncryption: &no})
	ids.SecondVersionID = s.AddVersion(ids.SecondAppID, VersionSeed{VersionString: "1.0", ReleaseType: "AFTER_APPROVAL", Created: now.Add(-2 * day)})

	ids.InternalGroupID = s.AddBetaGroup(ids.AppID, BetaGroupSeed{Name: "Team", Internal: true})
	ids.ExternalGroupID = s.AddBetaGroup(ids.AppID, BetaGroupSeed{Name: "Public Beta"})
	ids.SecondInternalGroupID = s.AddBetaGroup(ids.SecondAppID, BetaGroupSeed{Name: "Team", Internal: true})
	ids.SecondExternalGroupID = s.AddBetaGroup(ids.SecondAppID, BetaGroupSeed{Name: "Friends"})
	s.AddBetaTester(BetaTesterSeed{Email: "ana@example.com", FirstName: "Ana", LastName: "Sato", TeamMember: true, State: "INSTALLED"},
		ids.InternalGroupID, ids.SecondInternalGroupID)
	s.AddBetaTester(BetaTesterSeed{Email: "ken@example.com", FirstName: "Ken", LastName: "Mori", TeamMember: true}, ids.InternalGroupID)
	s.AddBetaTester(BetaTesterSeed{Email: "yuki.tanaka@example.net", FirstName: "Yuki", LastName: "Tanaka", State: "INSTALLED"},
		ids.ExternalGroupID, ids.SecondExternalGroupID)
	s.AddBetaTester(BetaTesterSeed{Email: "lee@example.org", FirstName: "Min", LastName: "Lee", State: "INVITED"}, ids.ExternalGroupID)
	return ids
}
