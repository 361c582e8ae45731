package store

// CountQuery is the query Count runs, for a test of its plan.
const CountQuery = countQuery
