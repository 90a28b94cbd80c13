export * from "./projects";
export * from "./principals";
export * from "./artifacts";
export * from "./audit";
export * from "./quotas";
export * from "./oci";
export * from "./oidc";
export * from "./webhooks";
