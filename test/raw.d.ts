// Vite's `?raw` imports (tests read documentation files as text).
declare module "*?raw" {
  const text: string;
  export default text;
}

