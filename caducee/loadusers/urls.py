from django.urls import URLPattern, URLResolver

app_name = "loadusers"
urlpatterns: list[URLPattern | URLResolver] = []
