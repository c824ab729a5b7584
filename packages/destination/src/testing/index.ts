// Placeholder: the conformance suite lands here.
export {};
