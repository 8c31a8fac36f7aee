"""The French web console: thin views over the operations layer."""
