"""What the tests and bench/ share: real sound servers, a lofid launcher, songs written on the fly."""
