"""Request and response models of the admin API, one module per resource that outgrew its
route module."""
