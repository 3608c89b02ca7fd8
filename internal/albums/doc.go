// Package albums is the shared-state demo service: albums live in the
// albums DynamoDB table, so every server instance answers the same (the
// seed application kept them in each process's memory, and two instances
// disagreed).
//
// Seeding writes the three seed albums with conditional puts
// (attribute_not_exists), so any number of instances starting together
// leave exactly three seeds and never overwrite a change. It declares the
// DynamoDB calls it makes (TableAPI) and must not import the server or
// Echo.
package albums
