// Package v1alpha1 contains the dockwatch.io/v1alpha1 API: the DockerHost
// resource that names a Docker daemon for dockwatch to watch.
//
// The package imports only apimachinery, so that clients of the API need not
// pull in controller-runtime.
// +kubebuilder:object:generate=true
// +groupName=dockwatch.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is group version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "dockwatch.io", Version: "v1alpha1"}

	// SchemeBuilder collects the functions that add this group-version's types to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &DockerHost{}, &DockerHostList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
