"""Word templates of the results documents and the script that builds them."""
