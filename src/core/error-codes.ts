/**
 * The error-code registry: every `code` the registry answers with, what it means, and
 * its wire code per protocol. `RegistryError` and its constructors accept only these
 * keys (core/errors.ts), the OCI renderer maps through `ociCodeOf`, OpenAPI publishes
 * the list (`x-error-codes`), docs/error-codes.md is generated from it, and
 * test/contract/error-codes.snapshot.txt pins it.
 *
 * Invariants:
 * - A code is stable: never rename or remove one (the reference promises it); add.
 * - A code starts with its category (core/errors.ts), which alone gives its HTTP status.
 * - Wire codes per protocol: the governance API and npm send `code` itself; OCI sends
 *   `oci` (or its category's default, `OCI_DEFAULTS`); Cargo (`errors[].detail`), PyPI
 *   (status line) and plain-text formats (Maven, Go, generic) send only the message.
 */

/** Error codes of the OCI distribution spec (plus `UNKNOWN`, which registries use for 5xx). */
export const OCI_CODES = [
  "BLOB_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "BLOB_UPLOAD_UNKNOWN",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNKNOWN",
  "NAME_INVALID",
  "NAME_UNKNOWN",
  "SIZE_INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "UNSUPPORTED",
  "TOOMANYREQUESTS",
  "UNKNOWN",
] as const;
export type OciCode = (typeof OCI_CODES)[number];

interface CodeSpec {
  description: string;
  /** The OCI code when the category's default (OCI_DEFAULTS) is not the right one. */
  oci?: OciCode;
}

export const ERROR_CODES = {
  // --- any request ---
  InvalidRequest: { description: "The request failed validation; `detail` lists each issue (path, message)" },
  InvalidJson: { description: "The request body is not valid JSON" },
  InvalidCursor: { description: "The `cursor` is not one this registry returned" },
  InvalidBodyLength: { description: "The body ended before (or ran past) its declared Content-Length", oci: "SIZE_INVALID" },
  InvalidBodyIncomplete: { description: "The request body broke off (or ended before its Content-Length): nothing of it was kept; send it again", oci: "BLOB_UPLOAD_INVALID" },
  PayloadTooLargeBody: { description: "The body is larger than this endpoint accepts" },
  UnsupportedMediaType: { description: "The request's Content-Type is not one this endpoint reads" },
  MethodNotAllowed: { description: "The path exists but not with this method" },
  PayloadTooLarge: { description: "The body is too large" },
  PayloadTooLargeMetadata: { description: "A package's or version's metadata is larger than one database row holds (1 MB of JSON): docs/limits.md" },
  RangeNotSatisfiable: { description: "The requested range lies outside the content" },
  NotFoundRoute: { description: "No route matches the path", oci: "UNSUPPORTED" },
  InternalError: { description: "An unexpected error; quote the request id when reporting it" },
  InternalUploadVanished: { description: "A file just uploaded could no longer be read back for its checks" },
  InternalSigningKeyUnreadable: { description: "The repository's signing key can't be decrypted with the configured signing-key secret" },
  UnavailableConfigInvalid: { description: "The registry's configuration (an ORBITALREG_* variable or a binding) is not valid; the message names it" },
  UnavailableBlobCollected: { description: "Garbage collection removed (or is removing) the content while it was being linked: upload it again" },
  UnavailableJwtSecret: { description: "No key to sign registry tokens with: neither ORBITALREG_JWT_SECRET nor ORBITALREG_ADMIN_TOKEN is set" },

  // --- credentials and permissions ---
  UnauthorizedCredentialsRequired: { description: "The request needs credentials and sent none" },
  UnauthorizedInvalidToken: { description: "The token is unknown, expired or revoked" },
  UnauthorizedInternalJwtRequired: { description: "An internal API request (`/internal/…`) carries no service JWT in `Orbitalreg-Internal-Api-Request` (other credentials are ignored there)" },
  UnauthorizedInternalJwt: { description: "The internal API's service JWT was refused (signature, audience, subject prefix, missing or too distant expiry; the log has the reason)" },
  TooManyRequestsAuthFailures: { description: "Too many failed authentications from this address: wait `Retry-After` seconds (docs/auth.md#rate-limits)" },
  TooManyRequestsOidcExchange: { description: "Too many OIDC token exchanges from this address: wait `Retry-After` seconds (docs/oidc.md)" },
  ForbiddenAction: { description: "The credential does not allow this action" },
  ForbiddenInsufficientPermissions: { description: "The caller's role (or the token's scopes) in this project does not allow this action" },

  // --- projects, repositories, members ---
  NotFoundProject: { description: "No such project, or not visible to the caller" },
  InvalidProjectSlug: { description: "The project slug is not 1–64 lowercase letters, digits and dashes" },
  ConflictProjectSlugInUse: { description: "Another project has this slug" },
  ConflictProjectNotEmpty: { description: "The project still has repositories; delete them first" },
  NotFoundRepo: { description: "No such repository (of this format), or not visible to the caller" },
  InvalidRepoSlug: { description: "The repository slug is not 1–64 lowercase letters, digits and dashes" },
  InvalidRepoProject: { description: "The repository's project does not exist" },
  InvalidRepoFormat: { description: "The repository's format does not support this operation" },
  InvalidRepoUpstreamUrl: { description: "`upstream_url` is not an http(s) URL" },
  InvalidRepoUpstreamUrlRequired: { description: "A repository of kind `upstream` needs `upstream_url`" },
  ConflictRepoSlugInUse: { description: "Another repository of the project has this slug" },
  ForbiddenRepoReadOnly: { description: "The repository is `read_only`: pushes and deletes are refused" },
  NotFoundMember: { description: "The principal has no role binding in the project" },
  InvalidMemberPrincipal: { description: "The user or service account does not exist (in this project)" },
  ConflictMemberServiceAccount: { description: "A service account always holds its role in its project; change the role or delete the account" },

  // --- identity: users, service accounts, tokens, OIDC ---
  NotFoundUser: { description: "No such user" },
  InvalidUserName: { description: "The user name is not valid" },
  ConflictUserNameInUse: { description: "Another user has this name" },
  NotFoundServiceAccount: { description: "No such service account in the project" },
  InvalidServiceAccountName: { description: "The service account name is not valid" },
  ConflictServiceAccountNameInUse: { description: "Another service account of the project has this name" },
  NotFoundToken: { description: "No such token for this principal" },
  InvalidTokenExpiry: { description: "`expires_in`/`expires_at` is in the past, too far ahead, or both were given" },
  NotFoundOidcTrustPolicy: { description: "No such OIDC trust policy" },
  InvalidOidcTrustPolicyName: { description: "The trust policy name is not valid" },
  InvalidOidcTrustPolicyProject: { description: "The trust policy's project does not exist" },
  ConflictOidcTrustPolicyNameInUse: { description: "Another trust policy has this name" },
  InvalidOidcIssuerUrl: { description: "The issuer is not an https URL on a public address" },
  InvalidOidcJwksUrl: { description: "The issuer's `jwks_uri` is not an https URL on a public address" },
  InvalidOidcClaimCondition: { description: "A claim condition is malformed" },
  InvalidOidcClaimConditionsTooBroad: { description: "The claim conditions would let tokens from any repository of the issuer in" },
  InvalidOidcTokenRequired: { description: "The exchange request carries no OIDC token" },
  UnauthorizedOidcToken: { description: "The OIDC token was refused (signature, issuer, audience or expiry; the audit log has the reason)" },
  ForbiddenOidcNoMatchingPolicy: { description: "No enabled trust policy matches the token's issuer, audience and claims" },
  ForbiddenOidcPolicyAmbiguous: { description: "Several trust policies match; name one with `policy`" },
  UnavailableOidcIssuer: { description: "The issuer's discovery document or keys could not be fetched" },

  // --- browser sign-in and sessions (docs/web-ui.md) ---
  UnauthorizedSessionExpired: { description: "The browser session has ended (signed out, revoked, idle or past its lifetime): sign in again" },
  UnauthorizedSignIn: { description: "The sign-in was refused (state, code, ID token, email domain or invitation; the audit log has the reason)" },
  UnavailableLoginProvider: { description: "The sign-in provider's discovery document, keys or token endpoint could not be reached" },
  ForbiddenCsrfOrigin: { description: "A change made with the session cookie did not come from this site's own pages (Origin)" },
  ForbiddenCsrfToken: { description: "A change made with the session cookie lacks the session's `X-CSRF-Token`" },
  ForbiddenNotAUser: { description: "Only a user (a browser session or a user token) has a self: not a service account or an exchanged token" },
  ForbiddenTokenScopes: { description: "A token can't be minted with scopes the minting credential lacks" },
  NotFoundLoginProvider: { description: "No such (enabled) login provider" },
  InvalidLoginProviderName: { description: "The login provider name is not 1–32 lowercase letters, digits or dashes" },
  InvalidLoginProviderIssuerUrl: { description: "The issuer is not an https URL on a public address (or carries a query or fragment)" },
  InvalidLoginProviderEndpointUrl: { description: "An endpoint the provider's discovery document names is not an https URL on a public address" },
  InvalidLoginProviderScopes: { description: "The scopes don't include `openid`" },
  InvalidLoginProviderEmailDomain: { description: "An allowed email domain is not a domain name" },
  InvalidLoginProviderGroupsClaim: { description: "Group mappings need `groups_claim`" },
  InvalidLoginProviderTeam: { description: "A group mapping names a team that does not exist" },
  ConflictLoginProviderNameInUse: { description: "Another login provider has this name" },
  NotFoundSession: { description: "No such session (of this user)" },
  NotFoundMessage: { description: "No such global message" },

  // --- teams and repository permissions ---
  NotFoundTeam: { description: "No such team in the project" },
  InvalidTeamName: { description: "The team name is not valid" },
  ConflictTeamNameInUse: { description: "Another team of the project has this name" },
  InvalidTeamMemberUser: { description: "The user to add does not exist" },
  NotFoundTeamMember: { description: "The user is not a member of the team" },
  NotFoundRepoPermission: { description: "The delegate holds no permission on the repository" },
  InvalidPermissionDelegate: { description: "The user, team or service account does not exist (teams and service accounts: in the repository's project)" },
  NotFoundPrototype: { description: "No such default permission in the project" },
  InvalidPrototypeActivatingUser: { description: "`activating_user` names no user" },

  // --- audit, quotas, webhooks ---
  InvalidAuditProjectRequired: { description: "`project_id` is required unless the caller is an instance admin" },
  QuotaExceededStorage: { description: "The push would take the project past its Reject limit" },
  NotFoundQuotaLimit: { description: "No such quota limit in the project" },
  ConflictQuotaLimitExists: { description: "A limit of this type at this threshold already exists" },
  InvalidQuotaLimit: { description: "A quota limit needs a type (Warning or Reject) and a threshold_percent in (0, 100]" },
  NotFoundWebhook: { description: "No such webhook subscription" },
  NotFoundWebhookDelivery: { description: "No such delivery for this subscription" },
  InvalidWebhookName: { description: "The subscription name is not valid" },
  InvalidWebhookUrl: { description: "The receiver URL is not http(s), or is a private address while those are not allowed" },
  InvalidWebhookEvents: { description: "An event filter names no catalogued type or category" },
  InvalidWebhookProject: { description: "The subscription's project does not exist" },
  ConflictWebhookDisabled: { description: "The subscription is disabled; enable it first" },

  // --- supply-chain policy: blocks, quarantine, licences, who-pulled, search (docs/policy.md) ---
  BlockedSecurity: { description: "A security block refuses this download; the body carries the why-blocked envelope (`block_id`, `reason`, `customer_message`, `blocked_until`, `public_url`)" },
  BlockedQuarantine: { description: "The version is held in quarantine (a release cool-down, or until an admin releases it); only its publisher and admins may fetch it meanwhile" },
  BlockedSignature: { description: "A sigstore trust policy in `enforce` mode selects this artifact and its signatures do not pass it; the body carries the policy and the failed reasons in the why-blocked envelope" },
  BlockedLicense: { description: "A licence policy refuses this stored version's licence; the body carries the policy in the why-blocked envelope" },
  ForbiddenLicensePolicy: { description: "A licence policy refuses the publish: the version's licence relies on a denied (or not allowed, or unknown) licence" },
  NotFoundBlock: { description: "No such security block" },
  InvalidBlockFormat: { description: "The block's format is not a repository format" },
  InvalidBlockPackage: { description: "The block's package or image name is empty or not a valid pattern" },
  InvalidBlockVersions: { description: "A version spec is not an exact version or range in the format's grammar (OCI: a digest or a tag)" },
  InvalidBlockUntil: { description: "`blocked_until` is not in the future" },
  InvalidBlockScope: { description: "The block's project or repository does not exist (or the repository is not in the project, or not of the block's format)" },
  ConflictBlockLifted: { description: "The block was lifted; make a new one" },
  NotFoundQuarantinePolicy: { description: "No quarantine policy for this project or repository" },
  InvalidQuarantinePolicy: { description: "A quarantine policy needs a cool-down (hours > 0) or approval, and a repository of its project" },
  NotFoundHeldVersion: { description: "No such version (or image manifest) held in quarantine" },
  NotFoundLicensePolicy: { description: "No such licence policy" },
  InvalidLicensePolicy: { description: "The licence policy is not valid (its scope, formats or identifiers); `detail` says which" },
  ConflictLicensePolicyNameInUse: { description: "Another licence policy has this name" },
  NotFoundSigstorePolicy: { description: "No such sigstore trust policy" },
  InvalidSigstorePolicy: { description: "The sigstore trust policy is not valid (a key, an identity, its trusted root, its scope); the message says which" },
  ConflictSigstorePolicyNameInUse: { description: "Another sigstore trust policy has this name" },
  InvalidWhoPulledFilter: { description: "who-pulled needs a repository or project (instance admins may omit it) and at most one of version, digest, principal, token" },
  InvalidSearchQuery: { description: "The search text is shorter than 2 or longer than 200 characters" },
  // --- trust: scan findings, promotion (docs/trust.md) ---
  InvalidArtifactRef: { description: "The artifact reference needs `repo_id`, `name` and a `version` (packages) or a `digest` or tag (images)" },
  InvalidFindingImport: { description: "The SARIF or OSV document is not one this registry reads; the message says where it broke" },
  InvalidFindingStatus: { description: "`accepted` needs a justification, and an expiry (if any) in the future" },
  InvalidFindingsScopeRequired: { description: "Name `repo_id` or `project_id` unless you are an instance admin" },
  NotFoundFinding: { description: "No such finding (or not visible to the caller)" },
  NotFoundFindingThreshold: { description: "No such finding threshold in the project" },
  ConflictFindingThresholdNameInUse: { description: "Another threshold of the project has this name" },
  InvalidPromotionTarget: { description: "The target repository is the source, or of another format" },
  ForbiddenPromotionGates: { description: "The artifact does not pass the target repository's promotion gates; `detail.gates` lists every gate and why it failed" },

  // --- packages and files (every language format) ---
  NotFoundPackage: { description: "No such package in the repository" },
  NotFoundVersion: { description: "No such version of the package" },
  NotFoundFile: { description: "No such file in the repository" },
  NotFoundBlob: { description: "The content is not known to this repository", oci: "BLOB_UNKNOWN" },
  InvalidPackageName: { description: "The package name is not valid for the format" },
  InvalidPackageVersion: { description: "The version is not valid for the format" },
  ForbiddenPackageName: { description: "The repository's allowed/blocked patterns refuse this package name" },
  ConflictVersionExists: { description: "This version is already published and versions are immutable" },
  ConflictFileExists: { description: "A different file with this name is already stored" },
  InvalidDigest: { description: "The digest is not `sha256:<64 hex digits>`", oci: "DIGEST_INVALID" },
  InvalidDigestMismatch: { description: "The content's digest is not the one the request declared", oci: "DIGEST_INVALID" },
  InvalidZip: { description: "The archive is not a readable ZIP" },
  InvalidPath: { description: "The file path is not valid (empty, `.`/`..` segments, control characters)" },
  InvalidChecksum: { description: "A checksum header or body is not a hex digest of the right length" },
  InvalidChecksumMismatch: { description: "The content does not match its declared checksum" },
  NotFoundChecksum: { description: "No checksum of that algorithm is recorded for the file" },

  // --- OCI ---
  InvalidImageName: { description: "The image name is not `<project>/<repo>/<image>` in lowercase components", oci: "NAME_INVALID" },
  NotFoundOciRoute: { description: "The path is not an OCI distribution route", oci: "NAME_INVALID" },
  MethodNotAllowedOci: { description: "The OCI route does not support this method" },
  NotFoundImage: { description: "No such image in the repository" },
  NotFoundManifest: { description: "No manifest with this tag or digest", oci: "MANIFEST_UNKNOWN" },
  InvalidManifest: { description: "The manifest is not a valid OCI/Docker manifest or index", oci: "MANIFEST_INVALID" },
  InvalidManifestSchema1: { description: "Docker schema 1 manifests are not supported", oci: "MANIFEST_INVALID" },
  InvalidManifestMediaType: { description: "The manifest media type is not supported", oci: "MANIFEST_INVALID" },
  InvalidManifestSize: { description: "A descriptor's size does not match the referenced content", oci: "MANIFEST_INVALID" },
  InvalidManifestBlobUnknown: { description: "The manifest references a blob or manifest the repository does not have", oci: "MANIFEST_BLOB_UNKNOWN" },
  PayloadTooLargeManifest: { description: "The manifest is larger than the registry accepts" },
  InvalidTag: { description: "The tag is not a valid OCI tag", oci: "MANIFEST_INVALID" },
  InvalidTagRestore: { description: "The tag did not point at that digest within the tag-history window" },
  ForbiddenTagImmutable: { description: "The tag matches an immutable-tag pattern: it can't be overwritten or deleted" },
  InvalidPageSize: { description: "`n` is not a non-negative integer" },
  InvalidContentLength: { description: "Content-Length is not a number", oci: "SIZE_INVALID" },
  NotFoundUpload: { description: "No such upload session (finished, cancelled or expired)", oci: "BLOB_UPLOAD_UNKNOWN" },
  RangeNotSatisfiableUpload: { description: "The chunk does not start at the upload's current offset" },
  RangeNotSatisfiableContentRange: { description: "Content-Range is not `start-end`" },
  RangeNotSatisfiableContentLength: { description: "Content-Length does not match Content-Range" },
  RangeNotSatisfiableBlob: { description: "The requested byte range is outside the blob", oci: "UNSUPPORTED" },
  InvalidUploadInterrupted: { description: "The chunk's body ended early; resume from the reported offset", oci: "BLOB_UPLOAD_INVALID" },
  PayloadTooLargeUpload: { description: "The upload is larger than the registry accepts" },
  PayloadTooLargeRequest: { description: "The request body is larger than the Worker accepts in one request (ORBITALREG_MAX_REQUEST_BODY_BYTES): push in chunks (docs/formats/oci.md)" },
  NotFoundLabel: { description: "No such label on the manifest" },
  InvalidLabelMediaType: { description: "A label's media type is not `text/plain` or `application/json`" },
  InvalidLabelValue: { description: "An `application/json` label's value is not JSON" },
  ForbiddenLabelFromManifest: { description: "Labels that come from the manifest's annotations can't be deleted" },

  // --- lifecycle: retention, trash, legal holds, garbage collection ---
  ConflictRetentionPolicyNameInUse: { description: "A retention policy with this name already exists in the repository" },
  NotFoundRetentionPolicy: { description: "No such retention policy in the repository" },
  InvalidRetentionPolicy: { description: "The policy's condition can't be used: a bad pattern, `keep_most_recent` on a delete policy, a delete policy with no condition, …" },
  NotFoundRetentionRun: { description: "No such retention run" },
  ConflictRetentionRunActive: { description: "A retention run of this repository is already in progress; wait for it (or its lease to lapse)" },
  NotFoundTrashEntry: { description: "No such entry in the repository's trash (restored, purged or expired)" },
  ConflictTrashRestore: { description: "Something has taken the entry's place since it was deleted (the version, file or package was published again); delete that first" },
  ConflictTrashContentMissing: { description: "A blob the entry needs is no longer stored (deleted from the repository and collected): the entry can't be restored" },
  ForbiddenLegalHold: { description: "The version or manifest is under a legal hold: it can't be deleted until the hold is lifted", oci: "DENIED" },
  ConflictLegalHoldExists: { description: "The version or manifest is already under a legal hold" },
  NotFoundLegalHold: { description: "No such legal hold in the repository" },
  ConflictManifestInUse: { description: "An index of the image lists this manifest: delete the index (or remove it from the index) first", oci: "DENIED" },
  ConflictBlobInUse: { description: "A manifest of the repository references this blob: delete the manifest first", oci: "DENIED" },
  ConflictGcRunActive: { description: "A garbage-collection run is already in progress" },
  NotFoundGcRun: { description: "No such garbage-collection run" },

  // --- npm ---
  InvalidPackument: { description: "The publish document (packument) is malformed" },
  InvalidAttachment: { description: "The packument's tarball attachment is missing, not base64, or not its declared length" },
  InvalidIntegrity: { description: "The tarball does not match its declared `integrity`/`shasum`" },
  InvalidDistTag: { description: "The dist-tag is not valid (or names no version)" },
  NotFoundDistTag: { description: "No such dist-tag" },
  NotFoundTarball: { description: "No such tarball" },
  ForbiddenVersionExists: { description: "npm's answer to publishing over a published version" },
  ConflictRevision: { description: "The package changed since the document was read; fetch it again" },

  // --- PyPI ---
  InvalidAction: { description: "The upload's `:action` is not `file_upload`" },
  InvalidFilename: { description: "The distribution's file name is not a valid wheel or sdist name" },
  InvalidDistribution: { description: "The wheel or sdist is not a readable archive, or its metadata names another project or version than the upload" },
  InvalidFiletype: { description: "`filetype` does not match the file" },
  InvalidMultipart: { description: "The upload is not valid multipart/form-data" },
  PayloadTooLargeField: { description: "A form field is larger than allowed" },
  PayloadTooLargeFields: { description: "The upload's metadata fields are too large in total" },
  NotAcceptableContentType: { description: "None of the content types in Accept is available" },

  // --- Debian (apt) ---
  NotFoundEntry: { description: "No entry (file inside the archive, or part) of that path or digest in the artifact: an internal API frame's error" },
  InvalidArchiveTooLarge: { description: "The archive holds more entries, or unpacks to more bytes, than the internal API walks (docs/internal-api.md#limits)" },
  InvalidArchive: { description: "An archive inside the upload (ar, tar, gzip, xz, zstd) is corrupt, truncated, or unpacks past its limit" },
  InvalidDebPackage: { description: "The file is not a Debian binary package (ar with debian-binary and control.tar)" },
  InvalidDebControl: { description: "The package's control file lacks a valid Package, Version or Architecture, or sets archive fields" },
  InvalidDebDistribution: { description: "The distribution name is not valid" },
  InvalidDebComponent: { description: "The component name is not valid" },

  // --- RPM (dnf) ---
  InvalidRpm: { description: "The file is not a valid RPM package, or its header does not match its recorded digest" },
  InvalidRpmTooLarge: { description: "The package lists more files than the index keeps for one package" },

  // --- Helm (classic chart repositories) ---
  InvalidChart: { description: "The chart archive has no valid Chart.yaml (apiVersion, name, SemVer 2 version)" },
  InvalidProvenance: { description: "The provenance file is not clear-signed, or does not vouch for the chart archive" },
  NotFoundChart: { description: "No such chart or chart version" },

  // --- MCP server catalogs ---
  InvalidServerJson: { description: "The server.json does not match the MCP registry's schema; `detail` lists each field (location, message)" },
  InvalidServerProvenance: { description: "The server.json's claimed provenance (repository URI, signer identity or issuer) disagrees with the verified signature of the image it references; `detail` lists each field" },
  InvalidServerStatus: { description: "The status change is not `active`, `deprecated` or `deleted` with an optional statusMessage (none for `active`)" },
  NotFoundServer: { description: "No such MCP server, or no such version of it, in the catalog" },

  // --- Maven ---
  InvalidMavenPath: { description: "The path is not a Maven 2 repository layout path" },
  NotFoundMetadata: { description: "No maven-metadata.xml at this path" },

  // --- Cargo ---
  InvalidCrateName: { description: "The crate name is not valid" },
  InvalidCrateMetadata: { description: "The publish metadata is malformed" },
  InvalidCratePublishBody: { description: "The publish body is not `<len><json><len><crate>`" },
  InvalidCrateOwners: { description: "Owners are managed through project roles, not cargo" },
  NotFoundCrate: { description: "No such crate" },
  ConflictCrateName: { description: "The crate was published before under a different capitalisation" },
  PayloadTooLargeCrate: { description: "The crate is larger than allowed" },

  // --- Go ---
  InvalidModulePath: { description: "The module path is not valid" },
  InvalidModuleVersion: { description: "The module version is not a canonical semantic version" },
  InvalidModuleZip: { description: "The module zip breaks the module zip rules" },
  InvalidModuleMod: { description: "The go.mod is not valid for the module" },
  InvalidModuleUpload: { description: "Uploads go to `<module>/@v/<version>.zip` (and optionally `.mod`)" },
  NotFoundModule: { description: "No such module" },
  NotFoundModulePath: { description: "The path names no module file" },
  NotFoundModuleVersion: { description: "No such version of the module" },
  ConflictModMismatch: { description: "The go.mod differs from the one stored for this version" },
  PayloadTooLargeModuleMod: { description: "The go.mod is larger than allowed" },

  // --- upstream (pull-through) and virtual repositories, mirrors, proxy caches ---
  UnavailableUpstream: { description: "The upstream could not be reached, did not answer in time, refused the repository's credentials or answered with an error, and nothing cached can stand in" },
  UnavailableUpstreamInvalid: { description: "The upstream's answer could not be used: a document too large or malformed, or bytes that did not match the digest, checksum or size it promised" },
  ForbiddenRepoUpstream: { description: "The repository is an upstream (pull-through) cache: its content comes from the upstream and can't be pushed, changed or deleted through the protocol" },
  ForbiddenRepoVirtualNoDeploy: { description: "The virtual repository has no deploy member: writes through it are refused (set `config.deploy_member`)" },
  InvalidRepoConfig: { description: "The repository's `config` does not fit its kind (upstream or virtual settings)" },
  InvalidRepoVirtualMembers: { description: "A virtual repository's members must be existing repositories of the same format that are not virtual themselves" },
  NotFoundMirror: { description: "The repository has no mirror configuration" },
  ConflictMirrorExists: { description: "The repository already has a mirror configuration; change it with PUT" },
  InvalidMirror: { description: "The mirror configuration is not valid (an upstream repository, packages, rule, interval)" },
  NotFoundProxyCache: { description: "The project has no proxy-cache configuration" },
  ConflictProxyCacheExists: { description: "The project already has a proxy-cache configuration; delete it first" },
  InvalidProxyCache: { description: "The proxy-cache configuration is not valid (the upstream registry, the expiration)" },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

/** The OCI code of each category when the code names none (other categories: `OCI_FALLBACK`). */
export const OCI_FALLBACK: OciCode = "UNSUPPORTED";
export const OCI_DEFAULTS: Record<string, OciCode> = {
  Unauthorized: "UNAUTHORIZED",
  Forbidden: "DENIED",
  QuotaExceeded: "DENIED",
  Blocked: "DENIED",
  NotFound: "NAME_UNKNOWN",
  TooManyRequests: "TOOMANYREQUESTS",
  PayloadTooLarge: "SIZE_INVALID",
  RangeNotSatisfiable: "BLOB_UPLOAD_INVALID",
  Internal: "UNKNOWN",
  Unavailable: "UNKNOWN",
};

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);
