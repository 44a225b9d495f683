// adaptivecards-templating's typings import the adaptivecards *TypeScript sources* (`adaptivecards/src/schema`),
// which do not type-check under this project's settings. tsconfig `paths` points that import here instead.
export type IAdaptiveCard = Record<string, unknown>;
declare const schema: unknown;
export default schema;
