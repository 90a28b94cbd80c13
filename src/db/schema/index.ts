export * from "./projects";
export * from "./principals";
export * from "./artifacts";
export * from "./audit";
export * from "./oidc";
export * from "./webhooks";
